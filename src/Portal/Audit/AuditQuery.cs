using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Audit;

/// <summary>A filter for the audit page; times are instants (UTC) so the range runs in SQL.</summary>
public sealed record AuditFilter(string? Actor = null, string? Action = null, DateTimeOffset? From = null, DateTimeOffset? Until = null);

/// <summary>One page of audit events and the total that matched.</summary>
public sealed record AuditResultPage(IReadOnlyList<AuditEvent> Items, int Total);

/// <summary>Reads the audit trail for the audit page: filtered, newest first, one page at a time.</summary>
public sealed class AuditQuery(IDbContextFactory<PortalDbContext> factory)
{
    public async Task<AuditResultPage> GetPageAsync(AuditFilter filter, int page, int pageSize, bool oldestFirst, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var query = Apply(db.AuditEvents.AsNoTracking(), filter);
        var total = await query.CountAsync(cancellationToken);
        var ordered = oldestFirst
            ? query.OrderBy(e => e.OccurredAt).ThenBy(e => e.Id)
            : query.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id);
        var items = await ordered.Skip(page * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return new AuditResultPage(items, total);
    }

    /// <summary>The filter as a query; public so a test can check that the time range is translated to SQL.</summary>
    public static IQueryable<AuditEvent> Apply(IQueryable<AuditEvent> query, AuditFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            var actor = filter.Actor.Trim();
            query = query.Where(e => e.Actor.Contains(actor));
        }

        if (!string.IsNullOrWhiteSpace(filter.Action))
        {
            query = query.Where(e => e.Action == filter.Action);
        }

        if (filter.From is { } from)
        {
            query = query.Where(e => e.OccurredAt >= from);
        }

        if (filter.Until is { } until)
        {
            query = query.Where(e => e.OccurredAt < until);
        }

        return query;
    }
}
