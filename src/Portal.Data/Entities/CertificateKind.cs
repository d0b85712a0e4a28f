namespace PatchPortal.Portal.Data.Entities;

/// <summary>What an issued certificate is for.</summary>
public enum CertificateKind
{
    CertificateAuthority = 0,
    PortalClient = 1,
    AgentServer = 2,
}
