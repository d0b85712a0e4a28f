namespace PatchPortal.Portal.Data.Entities;

/// <summary>What the dry run on one target host said the plan would change there.</summary>
public class PlanManifestHost
{
    public long Id { get; set; }
    public Guid PlanId { get; set; }
    public Guid HostId { get; set; }

    /// <summary>The host's name when the dry run ran, so the manifest still reads after a host is renamed or removed.</summary>
    public required string HostName { get; set; }

    public int PlanRevision { get; set; }
    public DateTimeOffset CheckedAt { get; set; }

    /// <summary>Why the dry run failed on this host (unreachable, agent error); null when it answered.</summary>
    public string? Error { get; set; }

    public bool RequiresReboot { get; set; }
    public List<ManifestChange> Changes { get; set; } = [];
}

/// <summary>One package the dry run expects to change: from the installed version to the candidate.</summary>
public class ManifestChange
{
    public required string Package { get; set; }
    public string? From { get; set; }
    public string? To { get; set; }
}
