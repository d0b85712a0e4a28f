using Hangfire;

namespace PatchPortal.Portal.Inventory;

/// <summary>"Refresh now": one Hangfire job per host on the bounded inventory queue.</summary>
public sealed class HangfireHostRefreshScheduler(IBackgroundJobClient jobs) : IHostRefreshScheduler
{
    public void RefreshNow(IReadOnlyCollection<Guid> hostIds)
    {
        ArgumentNullException.ThrowIfNull(hostIds);
        foreach (var id in hostIds.Distinct())
        {
            EnqueueRefresh(jobs, id);
        }
    }

    // Hangfire passes its own shutdown token in place of CancellationToken.None when the job runs.
    internal static string EnqueueRefresh(IBackgroundJobClient jobs, Guid hostId) =>
        jobs.Enqueue<HostRefreshJob>(InventoryQueues.Inventory, j => j.RefreshAsync(hostId, CancellationToken.None));

    internal static string EnqueueHealthCheck(IBackgroundJobClient jobs, Guid hostId) =>
        jobs.Enqueue<HostHealthJob>(InventoryQueues.Inventory, j => j.CheckAsync(hostId, CancellationToken.None));
}
