using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;

namespace PatchPortal.Portal.Windows;

/// <summary>What the window form collects; <see cref="RecurrenceRule"/> null or blank means a one-off window.</summary>
public sealed record WindowInput(
    string Name,
    string? Description,
    string TimeZoneId,
    DateTime StartLocal,
    int DurationMinutes,
    int CutoffMinutes,
    string? RecurrenceRule,
    IReadOnlyCollection<DateOnly> ExclusionDates,
    bool Enabled,
    TargetSet Targets)
{
    /// <summary>An unsaved window with these values (no targets), for validation and the live preview.</summary>
    public MaintenanceWindow ToWindow(Guid? id = null)
    {
        var window = new MaintenanceWindow
        {
            Name = Name?.Trim() ?? "",
            Description = string.IsNullOrWhiteSpace(Description) ? null : Description.Trim(),
            TimeZoneId = TimeZoneId?.Trim() ?? "",
            StartLocal = DateTime.SpecifyKind(new DateTime(StartLocal.Year, StartLocal.Month, StartLocal.Day, StartLocal.Hour, StartLocal.Minute, 0), DateTimeKind.Unspecified),
            DurationMinutes = DurationMinutes,
            CutoffMinutes = CutoffMinutes,
            RecurrenceRule = RecurrenceText.Normalize(RecurrenceRule) is { } rule && RecurrenceText.Parse(rule).Pattern is { } pattern
                ? pattern.ToString() ?? rule
                : RecurrenceText.Normalize(RecurrenceRule),
            ExclusionDates = ExclusionDates?.Distinct().Order().ToList() ?? [],
            Enabled = Enabled,
        };
        if (id is { } value)
        {
            window.Id = value;
        }

        return window;
    }
}

/// <summary>One refused field of a window or blackout with the sentence to show next to it.</summary>
public sealed record RuleViolation(string Field, string Message);
