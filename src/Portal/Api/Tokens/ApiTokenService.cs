using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Api.Tokens;

/// <summary>What a user asks for when creating a token.</summary>
public sealed record ApiTokenRequest(string Name, ApiTokenScopes Scopes, int ExpiresInDays);

/// <summary>A token as its owner (or an Admin) sees it: never the secret.</summary>
public sealed record ApiTokenRow(
    Guid Id,
    string Owner,
    string Name,
    string Prefix,
    ApiTokenScopes Scopes,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? LastUsedAt,
    string? LastUsedFrom,
    DateTimeOffset? RevokedAt,
    string? RevokedBy);

/// <summary>The outcome of creating a token: the secret, shown once, or why it was refused.</summary>
public sealed record ApiTokenCreated(bool Succeeded, string? Error, string? Secret = null, ApiTokenRow? Token = null);

/// <summary>The identity a presented token stands for, or why it stands for nobody.</summary>
public sealed record ApiTokenIdentity(Guid TokenId, string TokenName, string UserName, string Role, ApiTokenScopes Scopes);

/// <summary>
/// Creates, lists, revokes and checks API tokens. A secret is <c>pp_</c> and 43 characters of base64url (256 random
/// bits); only its SHA-256 is stored. A token may carry only the scopes its owner's role allows, and every request is
/// still authorized against the owner's current role, so a demoted or locked user's tokens lose their rights at once.
/// </summary>
public sealed class ApiTokenService(IDbContextFactory<PortalDbContext> factory, AuditLog audit, TimeProvider time)
{
    public const string SecretPrefix = "pp_";
    public const int MaxActivePerUser = 20;
    public const int MaxLifetimeDays = 365;
    public const int DefaultLifetimeDays = 90;
    private const int PrefixLength = 10;

    // Last-used is written at most this often per token, so a busy script does not turn every read into a write.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>The scopes a role may give its tokens.</summary>
    public static ApiTokenScopes AllowedScopes(string? role) => role switch
    {
        PortalRoles.Admin => ApiTokenScopes.Read | ApiTokenScopes.Write | ApiTokenScopes.Approve,
        PortalRoles.Operator => ApiTokenScopes.Read | ApiTokenScopes.Write,
        PortalRoles.Approver => ApiTokenScopes.Read | ApiTokenScopes.Approve,
        PortalRoles.Viewer => ApiTokenScopes.Read,
        _ => ApiTokenScopes.None,
    };

    /// <summary>One message per problem with a request; empty when it is acceptable for a user of <paramref name="role"/>.</summary>
    public static IReadOnlyDictionary<string, string> Validate(ApiTokenRequest request, string? role)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var name = request.Name?.Trim() ?? "";
        if (name.Length == 0)
        {
            errors[nameof(request.Name)] = "Give the token a name, for example the script that will use it.";
        }
        else if (name.Length > ApiToken.MaxNameLength)
        {
            errors[nameof(request.Name)] = $"A token name is at most {ApiToken.MaxNameLength} characters.";
        }
        else if (name.Any(char.IsControl))
        {
            errors[nameof(request.Name)] = "A token name cannot contain control characters.";
        }

        var allowed = AllowedScopes(role);
        if (request.Scopes == ApiTokenScopes.None)
        {
            errors[nameof(request.Scopes)] = "Choose at least one scope.";
        }
        else if ((request.Scopes & ~(ApiTokenScopes.Read | ApiTokenScopes.Write | ApiTokenScopes.Approve)) != 0)
        {
            errors[nameof(request.Scopes)] = "Unknown scope.";
        }
        else if ((request.Scopes & ~allowed) != 0)
        {
            errors[nameof(request.Scopes)] =
                $"Your role ({role ?? "none"}) allows only these scopes: {Describe(allowed)}. A token never has more rights than its user.";
        }

        if (request.ExpiresInDays is < 1 or > MaxLifetimeDays)
        {
            errors[nameof(request.ExpiresInDays)] = $"A token expires after 1 to {MaxLifetimeDays} days.";
        }

        return errors;
    }

    public static string Describe(ApiTokenScopes scopes) =>
        scopes == ApiTokenScopes.None
            ? "none"
            : string.Join(", ", Enum.GetValues<ApiTokenScopes>().Where(s => s != ApiTokenScopes.None && scopes.HasFlag(s)).Select(s => s.ToString().ToLowerInvariant()));

    /// <summary>Creates a token for the acting user and returns its secret, which is not stored and cannot be shown again.</summary>
    public async Task<ApiTokenCreated> CreateAsync(ApiTokenRequest request, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var user = await FindUserAsync(db, actor.Name, cancellationToken);
        if (user is null)
        {
            return new ApiTokenCreated(false, "Your account no longer exists.");
        }

        var errors = Validate(request, user.Role);
        if (errors.Count > 0)
        {
            return new ApiTokenCreated(false, string.Join(" ", errors.Values));
        }

        var now = time.GetUtcNow();
        var name = request.Name.Trim();
        if (await db.ApiTokens.AnyAsync(t => t.UserId == user.Id && t.Name == name, cancellationToken))
        {
            return new ApiTokenCreated(false, $"You already have a token named '{name}'. Revoked tokens keep their names; choose another.");
        }

        if (await db.ApiTokens.CountAsync(t => t.UserId == user.Id && t.RevokedAt == null && t.ExpiresAt > now, cancellationToken) >= MaxActivePerUser)
        {
            return new ApiTokenCreated(false, $"You have {MaxActivePerUser} active tokens, the most allowed. Revoke one you no longer use.");
        }

        var secret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var token = new ApiToken
        {
            UserId = user.Id,
            Name = name,
            Prefix = secret[..PrefixLength],
            TokenHash = Hash(secret),
            Scopes = request.Scopes,
            CreatedAt = now,
            ExpiresAt = now.AddDays(request.ExpiresInDays),
        };
        db.ApiTokens.Add(token);
        await audit.SaveWithAsync(db, AuditEntry.By(actor, AuditActions.ApiTokenCreated, $"token {name}") with
        {
            After = new { name, prefix = token.Prefix, scopes = Describe(token.Scopes), expiresAt = token.ExpiresAt },
        }, cancellationToken);
        return new ApiTokenCreated(true, null, secret, ToRow(token, user.UserName));
    }

    /// <summary>The tokens of one user (by user name), or of everyone when <paramref name="userName"/> is null; newest first.</summary>
    public async Task<IReadOnlyList<ApiTokenRow>> ListAsync(string? userName, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var query = from t in db.ApiTokens.AsNoTracking()
                    join u in db.Users on t.UserId equals u.Id
                    select new { Token = t, u.UserName, u.NormalizedUserName };
        if (userName is not null)
        {
            var normalized = userName.ToUpperInvariant();
            query = query.Where(x => x.NormalizedUserName == normalized);
        }

        var rows = await query.ToListAsync(cancellationToken);
        return [.. rows.Select(x => ToRow(x.Token, x.UserName)).OrderByDescending(r => r.CreatedAt)];
    }

    /// <summary>Revokes a token. Its owner may revoke it; an Admin may revoke anyone's.</summary>
    public async Task<(bool Succeeded, string Message)> RevokeAsync(Guid tokenId, Actor actor, bool actorIsAdmin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var found = await (from t in db.ApiTokens
                           join u in db.Users on t.UserId equals u.Id
                           where t.Id == tokenId
                           select new { Token = t, u.UserName }).SingleOrDefaultAsync(cancellationToken);
        if (found is null || (!actorIsAdmin && !string.Equals(found.UserName, actor.Name, StringComparison.OrdinalIgnoreCase)))
        {
            return (false, "No such token.");
        }

        if (found.Token.RevokedAt is not null)
        {
            return (false, $"Token '{found.Token.Name}' is already revoked.");
        }

        found.Token.RevokedAt = time.GetUtcNow();
        found.Token.RevokedBy = actor.Name;
        await audit.SaveWithAsync(db, AuditEntry.By(actor, AuditActions.ApiTokenRevoked, $"token {found.Token.Name}") with
        {
            Before = new { owner = found.UserName, name = found.Token.Name, prefix = found.Token.Prefix, revoked = false },
            After = new { revoked = true },
        }, cancellationToken);
        return (true, $"Token '{found.Token.Name}' is revoked; scripts using it now get 401.");
    }

    /// <summary>
    /// The identity behind a presented secret, or the reason it is refused (unknown, expired, revoked, or a user who is
    /// locked out or has no role). Records when and from where an accepted token was last used.
    /// </summary>
    public async Task<(ApiTokenIdentity? Identity, string? Refusal)> AuthenticateAsync(string secret, string? sourceAddress, CancellationToken cancellationToken)
    {
        if (!LooksLikeSecret(secret))
        {
            return (null, "The bearer token is not a PatchPortal API token.");
        }

        var hash = Hash(secret);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var found = await (from t in db.ApiTokens.AsNoTracking()
                           join u in db.Users on t.UserId equals u.Id
                           where t.TokenHash == hash
                           select new
                           {
                               Token = t,
                               u.UserName,
                               u.LockoutEnabled,
                               u.LockoutEnd,
                               Role = (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == u.Id select r.Name).FirstOrDefault(),
                           }).SingleOrDefaultAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (found is null)
        {
            return (null, "The API token is not valid.");
        }

        if (found.Token.RevokedAt is not null)
        {
            return (null, $"The API token '{found.Token.Name}' was revoked.");
        }

        if (now >= found.Token.ExpiresAt)
        {
            return (null, $"The API token '{found.Token.Name}' expired at {found.Token.ExpiresAt:u}.");
        }

        if (found.LockoutEnabled && found.LockoutEnd is { } end && end > now)
        {
            return (null, "The token's user is locked out.");
        }

        if (found.Role is null || found.UserName is null)
        {
            return (null, "The token's user has no role.");
        }

        if (found.Token.LastUsedAt is not { } last || now - last >= LastUsedResolution || found.Token.LastUsedFrom != sourceAddress)
        {
            await db.ApiTokens.Where(t => t.Id == found.Token.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now).SetProperty(t => t.LastUsedFrom, sourceAddress), cancellationToken);
        }

        return (new ApiTokenIdentity(found.Token.Id, found.Token.Name, found.UserName, found.Role, found.Token.Scopes & AllowedScopes(found.Role)), null);
    }

    public static bool LooksLikeSecret(string? secret) =>
        secret is { Length: > 3 and <= 100 } && secret.StartsWith(SecretPrefix, StringComparison.Ordinal) &&
        secret.AsSpan(SecretPrefix.Length).IndexOfAnyExcept(Base64UrlAlphabet) < 0;

    private static readonly System.Buffers.SearchValues<char> Base64UrlAlphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    internal static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static ApiTokenRow ToRow(ApiToken t, string? owner) =>
        new(t.Id, owner ?? "?", t.Name, t.Prefix, t.Scopes, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.LastUsedFrom, t.RevokedAt, t.RevokedBy);

    private static async Task<UserWithRole?> FindUserAsync(PortalDbContext db, string userName, CancellationToken cancellationToken)
    {
        var normalized = userName.ToUpperInvariant();
        return await (from u in db.Users
                      where u.NormalizedUserName == normalized
                      select new UserWithRole(
                          u.Id,
                          u.UserName,
                          (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == u.Id select r.Name).FirstOrDefault()))
            .SingleOrDefaultAsync(cancellationToken);
    }

    private sealed record UserWithRole(string Id, string? UserName, string? Role);
}
