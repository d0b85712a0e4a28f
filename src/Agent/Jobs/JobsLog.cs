namespace PatchPortal.Agent.Jobs;

/// <summary>The jobs feature's log messages.</summary>
internal static partial class JobsLog
{
    private static readonly Func<ILogger, string, string, IDisposable?> Scope =
        LoggerMessage.DefineScope<string, string>("Job {JobId} for request {RequestId}");

    /// <summary>The scope of everything a job logs while it runs: its id and the id of the request that started it.</summary>
    public static IDisposable? JobScope(this ILogger logger, string jobId, string? requestId) => Scope(logger, jobId, requestId ?? "-");

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "Job {JobId} was {PreviousStatus} when the agent stopped; recorded as interrupted")]
    public static partial void JobInterrupted(this ILogger logger, string jobId, string previousStatus);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Job file {Path} is corrupt ({Problem}); moved to {Aside}")]
    public static partial void CorruptJobFile(this ILogger logger, string path, string problem, string aside);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Job file {Path} is corrupt ({Problem}) and could not be moved aside: {Reason}")]
    public static partial void CorruptJobFileNotMoved(this ILogger logger, string path, string problem, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Job {JobId} ({Operation}) queued by {RequestedBy}")]
    public static partial void JobQueued(this ILogger logger, string jobId, string operation, string? requestedBy);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Job {JobId} ({Operation}) finished: {Status}")]
    public static partial void JobFinished(this ILogger logger, string jobId, string operation, string status);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Job {JobId} failed unexpectedly")]
    public static partial void JobCrashed(this ILogger logger, Exception exception, string jobId);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Error, Message = "Could not save job {JobId}")]
    public static partial void SaveFailed(this ILogger logger, Exception exception, string jobId);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Deleted {Count} finished jobs older than {RetentionDays} days")]
    public static partial void RetentionDeleted(this ILogger logger, int count, int retentionDays);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Job {JobId}: could not simulate the operation, snapshotting only its targets: {Reason}")]
    public static partial void PlanFailed(this ILogger logger, string jobId, string reason);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "Reboot job {JobId} runs the reboot command now (reason: {Reason})")]
    public static partial void RebootStarting(this ILogger logger, string jobId, string? reason);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "WebSocket subscriber {SubscriberId} fell {Capacity} messages behind and was disconnected")]
    public static partial void SubscriberTooSlow(this ILogger logger, long subscriberId, int capacity);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Debug, Message = "WebSocket connection {SubscriberId} ended: {Reason}")]
    public static partial void WebSocketEnded(this ILogger logger, long subscriberId, string reason);
}
