using Hangfire;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using Prometheus;

namespace PatchPortal.Portal.Operations;

/// <summary>
/// Fleet, plan, run and job-queue gauges, read from the database and Hangfire when Prometheus scrapes (a handful of
/// grouped counts), so they are never stale and cost nothing between scrapes.
/// </summary>
public sealed partial class PortalMetrics(IDbContextFactory<PortalDbContext> factory, JobStorage storage, ILogger<PortalMetrics> logger) : IHostedService
{
    private static readonly Gauge Hosts = Metrics.CreateGauge("patchportal_hosts", "Managed hosts by health (Unreachable = the agent does not answer).", "health");
    private static readonly Gauge PendingUpdates = Metrics.CreateGauge("patchportal_pending_updates", "Pending updates over the fleet.", "kind");
    private static readonly Gauge Plans = Metrics.CreateGauge("patchportal_plans", "Patch plans by state.", "state");
    private static readonly Gauge Runs = Metrics.CreateGauge("patchportal_runs", "Patch runs by state.", "state");
    private static readonly Gauge HostResults = Metrics.CreateGauge("patchportal_host_runs", "Per-host results of patch runs by state.", "state");
    private static readonly Gauge Jobs = Metrics.CreateGauge("patchportal_hangfire_jobs", "Hangfire jobs by state.", "state");
    private static readonly Gauge QueueDepth = Metrics.CreateGauge("patchportal_hangfire_queue_depth", "Jobs waiting in each Hangfire queue.", "queue");

    /// <summary>
    /// Live managed memory: the heap less its free space, as the most recent full (gen 2) collection, blocking or
    /// background, left it. Garbage not yet collected is not in it, so this is the figure to watch for a leak; the
    /// process's RSS and <c>dotnet_total_memory_bytes</c> also move with how lazily the GC collects and returns memory.
    /// </summary>
    private static readonly Gauge LiveHeap = Metrics.CreateGauge("patchportal_gc_live_heap_bytes", "Managed heap in use after the most recent full garbage collection (0 before the first).");

    /// <summary>Every agent call the portal made, by outcome (ok, or the failure kind).</summary>
    public static readonly Counter AgentCalls = Metrics.CreateCounter("patchportal_agent_calls_total", "Calls from the portal to agents, by outcome.", "outcome");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Metrics.DefaultRegistry.AddBeforeCollectCallback(CollectAsync);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task CollectAsync(CancellationToken cancellationToken)
    {
        LiveHeap.Set(LiveHeapBytes());
        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            Set(Hosts, await db.Hosts.GroupBy(h => h.Health).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key.ToString(), g => (double)g.Count, cancellationToken));
            PendingUpdates.WithLabels("security").Set(await db.Hosts.SumAsync(h => h.PendingSecurityCount, cancellationToken));
            PendingUpdates.WithLabels("other").Set(await db.Hosts.SumAsync(h => h.PendingOtherCount, cancellationToken));
            Set(Plans, await db.PatchPlans.GroupBy(p => p.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key.ToString(), g => (double)g.Count, cancellationToken));
            Set(Runs, await db.PatchRuns.GroupBy(r => r.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key.ToString(), g => (double)g.Count, cancellationToken));
            Set(HostResults, await db.HostRuns.GroupBy(h => h.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key.ToString(), g => (double)g.Count, cancellationToken));

            var monitoring = storage.GetMonitoringApi();
            var statistics = monitoring.GetStatistics();
            Jobs.WithLabels("enqueued").Set(statistics.Enqueued);
            Jobs.WithLabels("scheduled").Set(statistics.Scheduled);
            Jobs.WithLabels("processing").Set(statistics.Processing);
            Jobs.WithLabels("failed").Set(statistics.Failed);
            Set(QueueDepth, monitoring.Queues().ToDictionary(q => q.Name, q => (double)q.Length));
        }
#pragma warning disable CA1031 // A scrape must answer even when a source fails; the gauges keep their last values.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogCollectFailed(logger, ex.Message);
        }
    }

    /// <summary>The heap in use after the latest full collection (see <see cref="LiveHeap"/>); 0 when none ran yet.</summary>
    internal static long LiveHeapBytes()
    {
        var blocking = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var background = GC.GetGCMemoryInfo(GCKind.Background);
        var last = blocking.Index >= background.Index ? blocking : background;
        return last.Index == 0 ? 0 : last.HeapSizeBytes - last.FragmentedBytes;
    }

    /// <summary>Sets the present labels and zeroes the ones that disappeared, so a state that emptied reads 0, not its old count.</summary>
    private static void Set(Gauge gauge, Dictionary<string, double> values)
    {
        foreach (var labels in gauge.GetAllLabelValues())
        {
            if (!values.ContainsKey(labels[0]))
            {
                gauge.WithLabels(labels).Set(0);
            }
        }

        foreach (var (label, value) in values)
        {
            gauge.WithLabels(label).Set(value);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metrics collection failed: {Reason}")]
    private static partial void LogCollectFailed(ILogger logger, string reason);
}
