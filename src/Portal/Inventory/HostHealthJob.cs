using System.Diagnostics;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Hosts;

namespace PatchPortal.Portal.Inventory;

/// <summary>
/// The cheap poll of one host: the agent's /health only, for health, last-seen and reboot-required. It runs every
/// minute, the full <see cref="HostRefreshJob"/> less often. A host's first answer ever (just enrolled) queues its full
/// refresh at once, so its packages and patches show within a minute of enrolment, not at the next inventory poll.
/// </summary>
[AutomaticRetry(Attempts = 0)] // the next poll is the retry
public sealed class HostHealthJob(
    IDbContextFactory<PortalDbContext> factory,
    IAgentClient agents,
    IHostRefreshScheduler inventory,
    HostEventHub events,
    IOptions<InventoryOptions> options,
    TimeProvider time,
    ILogger<HostHealthJob> logger)
{
    public const string ChangeKind = "health";

    public async Task CheckAsync(Guid hostId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var host = await db.Hosts.SingleOrDefaultAsync(h => h.Id == hostId, ct);
        if (host is null)
        {
            InventoryLog.HostGone(logger, hostId);
            return;
        }

        int? latency = null;
        var firstContact = false;
        if (host.AgentCertificateFingerprint is null)
        {
            HostHealthPolicy.RecordPendingEnrolment(host);
        }
        else
        {
            var started = Stopwatch.GetTimestamp();
            var health = await agents.GetHealthAsync(HostPolling.EndpointOf(host), ct);
            if (health.Failure is { } failure)
            {
                HostHealthPolicy.RecordFailure(host, failure, options.Value.UnreachableAfterFailures);
                InventoryLog.PollFailed(logger, host.Id, host.Name, host.HealthReason ?? "");
            }
            else
            {
                latency = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                firstContact = host.LastSeenAt is null && host.InventoryRefreshedAt is null;
                HostHealthPolicy.RecordAnswer(host, health.Value!.Status, HostPolling.FailingChecks(health.Value), time.GetUtcNow());
                host.RebootRequired = health.Value.RebootRequired;
            }
        }

        db.HealthSamples.Add(HostPolling.SampleOf(host, time.GetUtcNow(), latency));
        await db.SaveChangesAsync(ct);
        events.Publish(new HostChanged(host.Id, ChangeKind));
        if (firstContact)
        {
            InventoryLog.FirstContact(logger, host.Id, host.Name);
            inventory.RefreshNow([host.Id]);
        }
    }
}
