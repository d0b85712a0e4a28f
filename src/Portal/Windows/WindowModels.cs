using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Windows;

/// <summary>A window as the Windows list shows it; <see cref="Next"/> is computed, not stored.</summary>
public sealed record WindowRow(
    Guid Id,
    string Name,
    string TimeZoneId,
    string? RecurrenceRule,
    int DurationMinutes,
    int CutoffMinutes,
    bool Enabled,
    string Targets,
    WindowOccurrence? Next);

public sealed record WindowFilter(string? Search = null, string? TimeZoneId = null, Guid? GroupId = null);

public sealed record WindowResultPage(IReadOnlyList<WindowRow> Items, int Total);

/// <summary>A window being edited: its id and its fields as the form shows them.</summary>
public sealed record WindowDetails(Guid Id, WindowInput Input, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A group, tag or host as the target pickers offer it.</summary>
public sealed record TargetOption(Guid Id, string Name);

public sealed record TargetOptions(IReadOnlyList<TargetOption> Groups, IReadOnlyList<TargetOption> Tags, IReadOnlyList<TargetOption> Hosts)
{
    public static TargetOptions None { get; } = new([], [], []);
}

/// <summary>
/// The outcome of a window or blackout change. Expected refusals (validation, duplicate name, still in use) carry a
/// message for the form and, where one field is at fault, for that field.
/// </summary>
public sealed record CalendarChangeResult(bool Succeeded, string? Error, IReadOnlyDictionary<string, string> FieldErrors)
{
    private static readonly IReadOnlyDictionary<string, string> NoFields = new Dictionary<string, string>(StringComparer.Ordinal);

    public Guid? Id { get; init; }

    /// <summary>What kind of refusal this is (for the API's status code); Ok when it succeeded.</summary>
    public ChangeStatus Status { get; init; }

    public static CalendarChangeResult Ok(Guid id) => new(true, null, NoFields) { Id = id };

    /// <summary>Refused because of the current state (e.g. still in use).</summary>
    public static CalendarChangeResult Fail(string error) => new(false, error, NoFields) { Status = ChangeStatus.Conflict };

    public static CalendarChangeResult NotFound(string error) => new(false, error, NoFields) { Status = ChangeStatus.NotFound };

    public static CalendarChangeResult Invalid(IReadOnlyList<RuleViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(violations);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var violation in violations)
        {
            fields.TryAdd(violation.Field, violation.Message);
        }

        return new(false, string.Join(" ", violations.Select(v => v.Message)), fields) { Status = ChangeStatus.Invalid };
    }

    /// <summary>One field breaks a rule the database knows (a target that no longer exists).</summary>
    public static CalendarChangeResult InvalidField(string field, string error) =>
        new(false, error, new Dictionary<string, string>(StringComparer.Ordinal) { [field] = error }) { Status = ChangeStatus.Invalid };

    public static CalendarChangeResult Conflict(string field, string error) =>
        new(false, error, new Dictionary<string, string>(StringComparer.Ordinal) { [field] = error }) { Status = ChangeStatus.Conflict };
}

/// <summary>A window's state in the audit trail, with its targets by name.</summary>
internal sealed record WindowAuditState(
    string Name,
    string? Description,
    string TimeZoneId,
    string StartLocal,
    int DurationMinutes,
    int CutoffMinutes,
    string? RecurrenceRule,
    IReadOnlyList<string> ExclusionDates,
    bool Enabled,
    IReadOnlyList<string> Groups,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> Hosts)
{
    public static WindowAuditState Of(MaintenanceWindow window) => new(
        window.Name,
        window.Description,
        window.TimeZoneId,
        window.StartLocal.ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture),
        window.DurationMinutes,
        window.CutoffMinutes,
        window.RecurrenceRule,
        window.ExclusionDates.Order().Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToList(),
        window.Enabled,
        window.TargetGroups.Select(g => g.Name).Order(StringComparer.Ordinal).ToList(),
        window.TargetTags.Select(t => t.Name).Order(StringComparer.Ordinal).ToList(),
        window.TargetHosts.Select(h => h.Name).Order(StringComparer.Ordinal).ToList());
}

internal static class TargetText
{
    /// <summary>"groups web, db · tags pci · hosts web01" for lists and the audit trail.</summary>
    public static string Describe(IEnumerable<string> groups, IEnumerable<string> tags, IEnumerable<string> hosts)
    {
        var parts = new List<string>();
        Add("group", groups);
        Add("tag", tags);
        Add("host", hosts);
        return parts.Count == 0 ? "nothing" : string.Join(" · ", parts);

        void Add(string kind, IEnumerable<string> names)
        {
            var list = names.Order(StringComparer.OrdinalIgnoreCase).ToList();
            if (list.Count > 0)
            {
                parts.Add($"{kind}{(list.Count == 1 ? "" : "s")} {string.Join(", ", list)}");
            }
        }
    }

    public static TargetSet Of(MaintenanceWindow window) =>
        TargetSet.Of(window.TargetGroups, window.TargetTags, window.TargetHosts);
}
