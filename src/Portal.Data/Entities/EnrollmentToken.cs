namespace PatchPortal.Portal.Data.Entities;

/// <summary>A one-time, expiring token that lets one host's agent obtain its certificate. Only its hash is stored.</summary>
public class EnrollmentToken
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid HostId { get; set; }
    public required string TokenHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
    public string? CreatedBy { get; set; }

    public bool IsUsable(DateTimeOffset now) => UsedAt is null && now < ExpiresAt;

    /// <summary>Consumes the token; a used or expired token cannot be consumed again.</summary>
    public bool TryConsume(DateTimeOffset now)
    {
        if (!IsUsable(now))
        {
            return false;
        }

        UsedAt = now;
        return true;
    }
}
