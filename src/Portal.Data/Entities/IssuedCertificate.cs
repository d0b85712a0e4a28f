namespace PatchPortal.Portal.Data.Entities;

/// <summary>A certificate the portal's CA issued; revocation is recorded here and checked by the agent client.</summary>
public class IssuedCertificate
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public CertificateKind Kind { get; set; }
    public Guid? HostId { get; set; }
    public required string SerialNumber { get; set; }
    public required string Subject { get; set; }
    public required string Fingerprint { get; set; }
    public DateTimeOffset NotBefore { get; set; }
    public DateTimeOffset NotAfter { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public string? RevocationReason { get; set; }

    public bool IsValidAt(DateTimeOffset now) => RevokedAt is null && NotBefore <= now && now < NotAfter;
}
