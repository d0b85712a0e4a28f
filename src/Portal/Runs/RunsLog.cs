namespace PatchPortal.Portal.Runs;

internal static partial class RunsLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} of plan {PlanId} scheduled for {Start:O}")]
    public static partial void Scheduled(ILogger logger, Guid runId, Guid planId, DateTimeOffset start);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} of plan {PlanId} removed before it started")]
    public static partial void Unscheduled(ILogger logger, Guid runId, Guid planId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} no longer exists or has ended; nothing to do")]
    public static partial void NothingToDo(ILogger logger, Guid runId);
}
