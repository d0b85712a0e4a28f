namespace PatchPortal.Portal.Data.Entities;

/// <summary>One package installed on a host, as its last inventory reported it.</summary>
public class InstalledPackage
{
    public long Id { get; set; }
    public Guid HostId { get; set; }
    public required string Name { get; set; }
    public required string Version { get; set; }
    public string Architecture { get; set; } = "";
    public DateTimeOffset ReportedAt { get; set; }
}
