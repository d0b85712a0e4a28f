using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Runs;

internal static partial class RunsLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} of plan {PlanId} scheduled for {Start:O}")]
    public static partial void Scheduled(ILogger logger, Guid runId, Guid planId, DateTimeOffset start);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} of plan {PlanId} removed before it started")]
    public static partial void Unscheduled(ILogger logger, Guid runId, Guid planId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} no longer exists or has ended; nothing to do")]
    public static partial void NothingToDo(ILogger logger, Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} is being executed elsewhere; this executor leaves it")]
    public static partial void ClaimedElsewhere(ILogger logger, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: the claim lapsed and another executor took over; stopping")]
    public static partial void LeaseLost(ILogger logger, Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} of plan '{Plan}' started")]
    public static partial void RunStarted(ILogger logger, Guid runId, string plan);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} is now {State}")]
    public static partial void RunState(ILogger logger, Guid runId, RunState state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: batch {Batch} of {Batches}")]
    public static partial void BatchStarted(ILogger logger, Guid runId, int batch, int batches);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} ended {State}: {Reason}")]
    public static partial void RunFinished(ILogger logger, Guid runId, RunState state, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: host {Host} agent job {JobId} started")]
    public static partial void HostJobStarted(ILogger logger, Guid runId, string host, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: host {Host} attempt {Attempt} failed ({Reason}); next attempt at {Next:O}")]
    public static partial void HostRetrying(ILogger logger, Guid runId, string host, int attempt, DateTimeOffset next, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: host {Host} job stream lost ({Reason}); polling instead")]
    public static partial void StreamLost(ILogger logger, Guid runId, string host, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: host {Host} ended {State}: {Reason}")]
    public static partial void HostEnded(ILogger logger, Guid runId, string host, HostRunState state, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId}: work on host {Host} failed unexpectedly")]
    public static partial void HostCrashed(ILogger logger, Exception exception, Guid runId, string host);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId}: the database refused a checkpoint of host {Host}; it resumes from its last saved state at {RetryAt}")]
    public static partial void HostCheckpointFailed(ILogger logger, Exception exception, Guid runId, string host, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} ({State}) had no executor; Hangfire job {JobId} resumes it")]
    public static partial void Resumed(ILogger logger, Guid runId, RunState state, string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Released {Count} run claims left by this machine's previous portal process")]
    public static partial void StaleClaimsReleased(ILogger logger, int count);
}
