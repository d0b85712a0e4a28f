using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Windows;

/// <summary>
/// The per-user secret in calendar feed URLs. Only its SHA-256 is stored, so a token is shown once, when it is issued;
/// issuing a new one revokes the old. A token authenticates only while its user exists, has a role and is not locked out.
/// </summary>
public sealed class CalendarFeedTokens(IDbContextFactory<PortalDbContext> factory, AuditLog audit, TimeProvider time)
{
    /// <summary>Whether the signed-in user (by user name) has a feed token.</summary>
    public async Task<bool> HasTokenAsync(string userName, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var normalized = userName.ToUpperInvariant();
        return await db.Users.AnyAsync(u => u.NormalizedUserName == normalized && u.CalendarFeedTokenHash != null, cancellationToken);
    }

    /// <summary>Issues a new token for the user (revoking any earlier one) and returns it; null when the user does not exist.</summary>
    public async Task<string?> IssueAsync(Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var normalized = actor.Name.ToUpperInvariant();
        var user = await db.Users.SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, cancellationToken);
        if (user is null)
        {
            return null;
        }

        var token = Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var replaced = user.CalendarFeedTokenHash is not null;
        user.CalendarFeedTokenHash = Hash(token);
        await audit.SaveWithAsync(db, AuditEntry.By(actor, AuditActions.CalendarFeedTokenIssued, actor.Name) with
        {
            Before = new { hadToken = replaced },
            After = new { hasToken = true, revokedPrevious = replaced },
        }, cancellationToken);
        return token;
    }

    /// <summary>The user a token belongs to, or null when it belongs to nobody allowed to read the calendar.</summary>
    public async Task<string?> AuthenticateAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 128)
        {
            return null;
        }

        var presented = Convert.FromHexString(Hash(token));
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var candidates = await db.Users.AsNoTracking()
            .Where(u => u.CalendarFeedTokenHash != null)
            .Select(u => new { u.Id, u.UserName, u.CalendarFeedTokenHash, u.LockoutEnabled, u.LockoutEnd, HasRole = db.UserRoles.Any(r => r.UserId == u.Id) })
            .ToListAsync(cancellationToken);

        // Every stored hash is compared in full, in constant time, so the answer's timing says nothing about which matched.
        string? match = null;
        foreach (var candidate in candidates)
        {
            var stored = TryFromHex(candidate.CalendarFeedTokenHash!);
            var locked = candidate.LockoutEnabled && candidate.LockoutEnd is { } end && end > time.GetUtcNow();
            if (stored is not null && CryptographicOperations.FixedTimeEquals(stored, presented) && !locked && candidate.HasRole)
            {
                match = candidate.UserName;
            }
        }

        return match;
    }

    internal static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static byte[]? TryFromHex(string hex)
    {
        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
