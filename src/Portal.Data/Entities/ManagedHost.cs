namespace PatchPortal.Portal.Data.Entities;

/// <summary>A Linux host with an agent that the portal manages.</summary>
public class ManagedHost
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public required string Address { get; set; }
    public int AgentPort { get; set; } = 12443;

    /// <summary>Upper-cased <see cref="Name"/>, kept by the context on save: host names are unique regardless of case.</summary>
    public string NormalizedName { get; set; } = "";

    /// <summary>Upper-cased <see cref="Address"/>, kept by the context on save: DNS names are case-insensitive.</summary>
    public string NormalizedAddress { get; set; } = "";

    public string? OsName { get; set; }
    public string? OsVersion { get; set; }
    public string? KernelVersion { get; set; }
    public string? Architecture { get; set; }
    public string? PackageFamily { get; set; }

    /// <summary>SHA-256 of the agent's server certificate as the portal issued it; null until enrolled.</summary>
    public string? AgentCertificateFingerprint { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastSeenAt { get; set; }
    public HostHealth Health { get; set; }
    public string? HealthReason { get; set; }

    /// <summary>Failed polls in a row; the host turns Unreachable only after several, so one lost packet is not an alarm.</summary>
    public int ConsecutiveFailures { get; set; }
    public bool RebootRequired { get; set; }
    public int PendingSecurityCount { get; set; }
    public int PendingOtherCount { get; set; }
    public DateTimeOffset? InventoryRefreshedAt { get; set; }

    public ICollection<HostGroup> Groups { get; } = [];
    public ICollection<Tag> Tags { get; } = [];
    public ICollection<InstalledPackage> InstalledPackages { get; } = [];
    public ICollection<PendingUpdate> PendingUpdates { get; } = [];
    public ICollection<HealthSample> HealthSamples { get; } = [];
}
