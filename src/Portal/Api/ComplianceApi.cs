using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Dashboard;
using PatchPortal.Portal.Data;

namespace PatchPortal.Portal.Api;

/// <summary>How one group stands: hosts, how many have nothing pending, security updates pending, reboots owed.</summary>
public sealed record GroupCompliance(Guid GroupId, string Group, int Hosts, int UpToDate, int WithSecurityUpdates, int RebootRequired);

/// <summary>
/// The fleet's patch compliance: the dashboard's counts, hosts with no pending update, the share that is compliant
/// (up to date, reachable and not owing a reboot) and the same per group.
/// </summary>
public sealed record ComplianceSummary(FleetCounts Fleet, int UpToDate, double CompliantPercent, IReadOnlyList<GroupCompliance> Groups, DateTimeOffset At);

/// <summary><c>/api/v1/compliance</c>.</summary>
public static class ComplianceApi
{
    public static void MapComplianceApi(this RouteGroupBuilder api)
    {
        api.MapGet("/compliance", GetAsync).WithTags("Compliance").WithName("GetCompliance")
            .WithSummary("Fleet compliance: counts by health, pending updates and reboots, overall and per group")
            .Produces<ComplianceSummary>().WithProblems();
    }

    private static async Task<IResult> GetAsync(FleetSummary fleet, IDbContextFactory<PortalDbContext> factory, TimeProvider time, CancellationToken cancellationToken)
    {
        var counts = await fleet.GetAsync(cancellationToken);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var hosts = db.Hosts.AsNoTracking();
        var upToDate = await hosts.CountAsync(h => h.PendingSecurityCount == 0 && h.PendingOtherCount == 0 && h.InventoryRefreshedAt != null, cancellationToken);
        var compliant = await hosts.CountAsync(
            h => h.PendingSecurityCount == 0 && h.PendingOtherCount == 0 && h.InventoryRefreshedAt != null && !h.RebootRequired && h.Health == Data.Entities.HostHealth.Healthy,
            cancellationToken);
        var groups = await db.HostGroups.AsNoTracking()
            .OrderBy(g => g.Name)
            .Select(g => new GroupCompliance(
                g.Id,
                g.Name,
                g.Hosts.Count,
                g.Hosts.Count(h => h.PendingSecurityCount == 0 && h.PendingOtherCount == 0 && h.InventoryRefreshedAt != null),
                g.Hosts.Count(h => h.PendingSecurityCount > 0),
                g.Hosts.Count(h => h.RebootRequired)))
            .ToListAsync(cancellationToken);
        var percent = counts.Hosts == 0 ? 100 : Math.Round(100.0 * compliant / counts.Hosts, 1);
        return TypedResults.Ok(new ComplianceSummary(counts, upToDate, percent, groups, time.GetUtcNow()));
    }
}
