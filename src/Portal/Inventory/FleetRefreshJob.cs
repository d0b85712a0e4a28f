using Hangfire;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;

namespace PatchPortal.Portal.Inventory;

/// <summary>
/// The recurring fleet polls. Each only fans out: one Hangfire job per enrolled host on the
/// <see cref="InventoryQueues.Inventory"/> queue, whose fixed worker count bounds how many agents are called at
/// once. Per-host jobs (rather than a bounded loop inside this job) keep each host's outcome visible in the
/// dashboard, let a restart resume where it stopped, and spread over every portal node once storage is shared.
/// </summary>
[AutomaticRetry(Attempts = 0)] // the next occurrence is the retry
public sealed class FleetRefreshJob(
    IDbContextFactory<PortalDbContext> factory,
    IBackgroundJobClient jobs,
    JobStorage storage,
    HostEventHub events,
    ILogger<FleetRefreshJob> logger)
{
    public const string InventoryJobId = "fleet-inventory";
    public const string HealthJobId = "fleet-health";

    /// <summary>Full inventory refresh of every enrolled host.</summary>
    public async Task PollAsync(CancellationToken ct)
    {
        var hosts = await EnrolledHostsAsync(ct);
        foreach (var id in hosts)
        {
            HangfireHostRefreshScheduler.EnqueueRefresh(jobs, id);
        }

        InventoryLog.FleetPolled(logger, "inventory", hosts.Count);
    }

    /// <summary>
    /// Health-only poll of every enrolled host, skipped while the inventory queue still holds earlier work: with
    /// many slow or dead agents a round can take longer than a minute, and stacking rounds would grow the queue
    /// without bound. Full refreshes record health too, so nothing goes stale for long.
    /// </summary>
    public async Task PollHealthAsync(CancellationToken ct)
    {
        var backlog = storage.GetMonitoringApi().EnqueuedCount(InventoryQueues.Inventory);
        if (backlog > 0)
        {
            InventoryLog.HealthPollSkipped(logger, backlog);
            return;
        }

        var hosts = await EnrolledHostsAsync(ct);
        foreach (var id in hosts)
        {
            HangfireHostRefreshScheduler.EnqueueHealthCheck(jobs, id);
        }

        InventoryLog.FleetPolled(logger, "health", hosts.Count);
    }

    // Hosts without a certificate have no agent to ask: they are marked in one statement, not polled.
    private async Task<List<Guid>> EnrolledHostsAsync(CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var waiting = await db.Hosts
            .Where(h => h.AgentCertificateFingerprint == null && h.Health != HostHealth.PendingEnrolment)
            .Select(h => h.Id).ToListAsync(ct);
        if (waiting.Count > 0)
        {
            await db.Hosts.Where(h => waiting.Contains(h.Id)).ExecuteUpdateAsync(s => s
                .SetProperty(h => h.Health, HostHealth.PendingEnrolment)
                .SetProperty(h => h.HealthReason, HostHealthPolicy.PendingEnrolmentReason)
                .SetProperty(h => h.ConsecutiveFailures, 0), ct);
            foreach (var id in waiting)
            {
                events.Publish(new HostChanged(id, HostHealthJob.ChangeKind));
            }
        }

        return await db.Hosts.Where(h => h.AgentCertificateFingerprint != null)
            .OrderBy(h => h.Name).Select(h => h.Id).ToListAsync(ct);
    }
}
