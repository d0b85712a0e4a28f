using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Windows;

/// <summary>Answers in one SQL query whether a blackout covers a host at an instant.</summary>
public sealed class BlackoutCalendar(IDbContextFactory<PortalDbContext> factory) : IBlackoutCalendar
{
    /// <summary>
    /// The earliest-starting blackout that covers <paramref name="at"/> (start inclusive, end exclusive) and applies to
    /// everything or names the host, one of its groups or one of its tags.
    /// </summary>
    public async Task<Blackout?> ActiveForHostAsync(Guid hostId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);

        // TargetResolution goes from a target set to hosts; here the direction is reversed (from one host to the
        // blackouts naming it), so the same three membership tests are written against the blackout's targets.
        return await db.Blackouts.AsNoTracking()
            .Where(b => b.StartsAt <= at && b.EndsAt > at)
            .Where(b => b.AppliesToAll
                || b.TargetHosts.Any(h => h.Id == hostId)
                || b.TargetGroups.Any(g => g.Hosts.Any(h => h.Id == hostId))
                || b.TargetTags.Any(t => t.Hosts.Any(h => h.Id == hostId)))
            .OrderBy(b => b.StartsAt)
            .ThenBy(b => b.Id)
            .FirstOrDefaultAsync(cancellationToken);
    }
}
