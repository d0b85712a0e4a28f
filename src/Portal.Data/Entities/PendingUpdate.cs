namespace PatchPortal.Portal.Data.Entities;

/// <summary>An update the host's package manager offers: from the installed version to a candidate.</summary>
public class PendingUpdate
{
    public long Id { get; set; }
    public Guid HostId { get; set; }
    public required string PackageName { get; set; }
    public string? CurrentVersion { get; set; }
    public required string CandidateVersion { get; set; }
    public string? Source { get; set; }
    public bool IsSecurity { get; set; }
    public DateTimeOffset DetectedAt { get; set; }
}
