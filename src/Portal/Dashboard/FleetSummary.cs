using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Inventory;

namespace PatchPortal.Portal.Dashboard;

/// <summary>Fleet-wide counts shown on the dashboard.</summary>
public sealed record FleetCounts(
    int Hosts,
    int Healthy,
    int Degraded,
    int Unreachable,
    int PendingEnrolment,
    int WithSecurityUpdates,
    int RebootRequired,
    int StaleInventory,
    int CertificatesExpiring);

/// <summary>Computes the dashboard's counts, each one a COUNT in SQL (no host is loaded into memory).</summary>
public sealed class FleetSummary(IDbContextFactory<PortalDbContext> factory, IOptions<InventoryOptions> options, TimeProvider time)
{
    /// <summary>An agent certificate expiring within this span is flagged.</summary>
    public static readonly TimeSpan CertificateWarning = TimeSpan.FromDays(30);

    public async Task<FleetCounts> GetAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var hosts = db.Hosts.AsNoTracking();
        return new FleetCounts(
            await hosts.CountAsync(cancellationToken),
            await hosts.CountAsync(h => h.Health == HostHealth.Healthy, cancellationToken),
            await hosts.CountAsync(h => h.Health == HostHealth.Degraded, cancellationToken),
            await hosts.CountAsync(h => h.Health == HostHealth.Unreachable, cancellationToken),
            await hosts.CountAsync(h => h.Health == HostHealth.PendingEnrolment, cancellationToken),
            await hosts.CountAsync(h => h.PendingSecurityCount > 0, cancellationToken),
            await hosts.CountAsync(h => h.RebootRequired, cancellationToken),
            await hosts.CountAsync(IsStale(now - TimeSpan.FromHours(options.Value.StaleAfterHours)), cancellationToken),
            await hosts.CountAsync(CertificateExpiresBefore(db, now + CertificateWarning), cancellationToken));
    }

    /// <summary>An enrolled host whose inventory was never taken or is older than the cutoff (the host list's stale=true).</summary>
    public static Expression<Func<ManagedHost, bool>> IsStale(DateTimeOffset cutoff) =>
        h => h.AgentCertificateFingerprint != null && (h.InventoryRefreshedAt == null || h.InventoryRefreshedAt < cutoff);

    /// <summary>
    /// A host whose agent certificates (unrevoked) include one expiring before the horizon and none valid beyond it,
    /// so a renewed agent no longer counts (the host list's certExpiring=true).
    /// </summary>
    public static Expression<Func<ManagedHost, bool>> CertificateExpiresBefore(PortalDbContext db, DateTimeOffset horizon)
    {
        ArgumentNullException.ThrowIfNull(db);
        var certificates = db.IssuedCertificates.Where(c => c.Kind == CertificateKind.AgentServer && c.RevokedAt == null);
        return h => certificates.Any(c => c.HostId == h.Id && c.NotAfter < horizon)
            && !certificates.Any(c => c.HostId == h.Id && c.NotAfter >= horizon);
    }
}
