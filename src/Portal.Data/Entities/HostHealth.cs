namespace PatchPortal.Portal.Data.Entities;

/// <summary>How the portal last found a host's agent.</summary>
public enum HostHealth
{
    Unknown = 0,
    Healthy = 1,
    Degraded = 2,
    Unreachable = 3,

    /// <summary>Added, but its agent has not enrolled yet: the portal has no certificate to trust it by.</summary>
    PendingEnrolment = 4,
}
