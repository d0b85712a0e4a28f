namespace PatchPortal.Portal.Data.Entities;

/// <summary>
/// A recurring (iCalendar RRULE) or one-off span of time in which patching may run on its target hosts.
/// The start is a wall-clock time in <see cref="TimeZoneId"/> so that "Sundays 02:00 Europe/Berlin" stays 02:00
/// across daylight-saving changes; occurrences are computed, never stored.
/// </summary>
public class MaintenanceWindow
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public string? Description { get; set; }

    /// <summary>IANA time zone id, for example Europe/Berlin.</summary>
    public required string TimeZoneId { get; set; }

    /// <summary>The first occurrence's start as wall-clock time in <see cref="TimeZoneId"/> (kind Unspecified).</summary>
    public DateTime StartLocal { get; set; }

    public int DurationMinutes { get; set; }

    /// <summary>No host starts patching in the last N minutes of an occurrence.</summary>
    public int CutoffMinutes { get; set; }

    /// <summary>The RRULE value without the "RRULE:" prefix (FREQ=WEEKLY;BYDAY=SU); null for a one-off window.</summary>
    public string? RecurrenceRule { get; set; }

    /// <summary>Local dates on which an occurrence that would start that day is skipped.</summary>
    public List<DateOnly> ExclusionDates { get; set; } = [];

    public bool Enabled { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }

    public ICollection<HostGroup> TargetGroups { get; } = [];
    public ICollection<Tag> TargetTags { get; } = [];
    public ICollection<ManagedHost> TargetHosts { get; } = [];
}
