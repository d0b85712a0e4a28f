using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Dashboard;

/// <summary>Fleet-wide counts shown on the dashboard.</summary>
public sealed record FleetCounts(int Hosts, int Healthy, int Degraded, int Unreachable, int WithSecurityUpdates, int RebootRequired);

/// <summary>Computes the dashboard's counts in one round trip per figure, in SQL.</summary>
public sealed class FleetSummary(IDbContextFactory<PortalDbContext> factory)
{
    public async Task<FleetCounts> GetAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var hosts = db.Hosts.AsNoTracking();
        return new FleetCounts(
            await hosts.CountAsync(cancellationToken),
            await hosts.CountAsync(h => h.Health == HostHealth.Healthy, cancellationToken),
            await hosts.CountAsync(h => h.Health == HostHealth.Degraded, cancellationToken),
            await hosts.CountAsync(h => h.Health == HostHealth.Unreachable, cancellationToken),
            await hosts.CountAsync(h => h.PendingSecurityCount > 0, cancellationToken),
            await hosts.CountAsync(h => h.RebootRequired, cancellationToken));
    }
}
