namespace PatchPortal.Portal.Inventory;

/// <summary>Queues background refreshes (health, facts, packages, pending updates) of hosts.</summary>
public interface IHostRefreshScheduler
{
    /// <summary>Enqueues a refresh of each host now (Hangfire); returns at once.</summary>
    void RefreshNow(IReadOnlyCollection<Guid> hostIds);
}
