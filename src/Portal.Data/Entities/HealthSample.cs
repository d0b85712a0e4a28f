namespace PatchPortal.Portal.Data.Entities;

/// <summary>One observation of a host's health, kept as history.</summary>
public class HealthSample
{
    public long Id { get; set; }
    public Guid HostId { get; set; }
    public DateTimeOffset At { get; set; }
    public HostHealth Health { get; set; }
    public string? Reason { get; set; }
    public int? LatencyMilliseconds { get; set; }
}
