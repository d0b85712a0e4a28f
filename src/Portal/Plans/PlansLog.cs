namespace PatchPortal.Portal.Plans;

internal static partial class PlansLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Plan {PlanId} {Action} by {Actor}: {State}")]
    public static partial void Changed(ILogger logger, Guid planId, string action, string actor, PatchPortal.Portal.Data.Entities.PlanState state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Plan {PlanId}: {Action} by {Actor} refused: {Reason}")]
    public static partial void Refused(ILogger logger, Guid planId, string action, string actor, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Plan {PlanId} approved but could not be scheduled")]
    public static partial void ScheduleFailed(ILogger logger, Guid planId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Plan {PlanId}: its scheduled runs could not be removed")]
    public static partial void UnscheduleFailed(ILogger logger, Guid planId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Plan {PlanId} dry run: {Hosts} hosts, {Changes} changes, {Failed} failed")]
    public static partial void DryRunFinished(ILogger logger, Guid planId, int hosts, int changes, int failed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Plan {PlanId} dry run stopped with an error")]
    public static partial void DryRunCrashed(ILogger logger, Guid planId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Plan {PlanId} dry run on host {HostId} ({HostName}) failed: {Reason}")]
    public static partial void DryRunHostFailed(ILogger logger, Guid planId, Guid hostId, string hostName, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Plan {PlanId} expired: its approval lapsed at {ExpiresAt}")]
    public static partial void Expired(ILogger logger, Guid planId, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recurring job {JobId} scheduled at '{Cron}' (UTC)")]
    public static partial void RecurringScheduled(ILogger logger, string jobId, string cron);
}
