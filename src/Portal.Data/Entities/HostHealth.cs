namespace PatchPortal.Portal.Data.Entities;

/// <summary>How the portal last found a host's agent.</summary>
public enum HostHealth
{
    Unknown = 0,
    Healthy = 1,
    Degraded = 2,
    Unreachable = 3,
}
