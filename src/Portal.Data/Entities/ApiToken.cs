namespace PatchPortal.Portal.Data.Entities;

/// <summary>What an API token may do; a request also needs the user's role to allow it.</summary>
[Flags]
public enum ApiTokenScopes
{
    None = 0,

    /// <summary>Read everything the user may see.</summary>
    Read = 1,

    /// <summary>Change hosts, groups, windows, plans and runs (Operators and Admins).</summary>
    Write = 2,

    /// <summary>Approve or reject plans (Approvers and Admins).</summary>
    Approve = 4,
}

/// <summary>
/// A user's token for the REST API. The secret is shown once at creation; only its SHA-256 is stored, beside a short
/// prefix that lets the owner tell tokens apart. A token acts as its user, never with more rights.
/// </summary>
public class ApiToken
{
    public const int MaxNameLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string UserId { get; set; }
    public required string Name { get; set; }

    /// <summary>The first characters of the secret (for example <c>pp_3fA9c2</c>), safe to show.</summary>
    public required string Prefix { get; set; }

    /// <summary>SHA-256 of the whole secret, lower-case hex.</summary>
    public required string TokenHash { get; set; }

    public ApiTokenScopes Scopes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public string? LastUsedFrom { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }

    public bool IsActive(DateTimeOffset now) => RevokedAt is null && now < ExpiresAt;
}
