using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Windows;

/// <summary>
/// One computed occurrence of a maintenance window, in UTC, with the window's own zone for display.
/// <see cref="Adjustment"/> says why it differs from the rule's wall-clock time (a 02:30 start on a day without 02:30).
/// </summary>
public sealed record WindowOccurrence(
    Guid WindowId,
    string WindowName,
    string TimeZoneId,
    DateTimeOffset Start,
    DateTimeOffset End,
    DateTimeOffset CutoffAt,
    string? Adjustment = null);

/// <summary>Expands windows into occurrences (recurrence, exclusions, time zones and daylight-saving changes).</summary>
public interface IMaintenanceSchedule
{
    /// <summary>Occurrences that overlap [<paramref name="rangeStart"/>, <paramref name="rangeEnd"/>), ordered by start.</summary>
    IReadOnlyList<WindowOccurrence> Occurrences(MaintenanceWindow window, DateTimeOffset rangeStart, DateTimeOffset rangeEnd);

    /// <summary>The first occurrence that has not ended at <paramref name="after"/> (one already under way counts), or null.</summary>
    WindowOccurrence? NextOccurrence(MaintenanceWindow window, DateTimeOffset after);

    /// <summary>The occurrence that starts exactly at <paramref name="start"/>, or null when the window has none there.</summary>
    WindowOccurrence? OccurrenceStartingAt(MaintenanceWindow window, DateTimeOffset start);
}

/// <summary>The blackout (if any) that forbids starting work on a host at an instant.</summary>
public interface IBlackoutCalendar
{
    Task<Blackout?> ActiveForHostAsync(Guid hostId, DateTimeOffset at, CancellationToken cancellationToken);
}
