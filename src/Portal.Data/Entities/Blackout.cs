namespace PatchPortal.Portal.Data.Entities;

/// <summary>A span in which no patching may start (a release freeze, a holiday); it overrides every window.</summary>
public class Blackout
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public string? Reason { get; set; }
    public DateTimeOffset StartsAt { get; set; }
    public DateTimeOffset EndsAt { get; set; }

    /// <summary>True: the blackout covers every host and the target collections are ignored.</summary>
    public bool AppliesToAll { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";

    public ICollection<HostGroup> TargetGroups { get; } = [];
    public ICollection<Tag> TargetTags { get; } = [];
    public ICollection<ManagedHost> TargetHosts { get; } = [];
}
