namespace PatchPortal.Portal.Inventory;

internal static partial class InventoryLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Host {HostId} no longer exists; refresh skipped")]
    public static partial void HostGone(ILogger logger, Guid hostId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {HostId} ({HostName}) poll failed: {Reason}")]
    public static partial void PollFailed(ILogger logger, Guid hostId, string hostName, string reason);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Host {HostId} ({HostName}) inventory refreshed: {Packages} packages, {Security} security and {Other} other updates")]
    public static partial void Refreshed(ILogger logger, Guid hostId, string hostName, int packages, int security, int other);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fleet {Kind} poll queued {Count} host jobs")]
    public static partial void FleetPolled(ILogger logger, string kind, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet health poll skipped: {Backlog} host jobs still queued from earlier polls")]
    public static partial void HealthPollSkipped(ILogger logger, long backlog);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recurring job {JobId} scheduled at '{Cron}' (UTC)")]
    public static partial void RecurringScheduled(ILogger logger, string jobId, string cron);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {HostId} ({HostName}) answered for the first time; its full inventory refresh is queued")]
    public static partial void FirstContact(ILogger logger, Guid hostId, string hostName);
}
