namespace PatchPortal.Portal.Runs;

/// <summary>
/// The hand-off from plans to runs. The Plans feature calls it when a plan becomes Approved (and when an approved
/// plan is edited, cancelled or expires); the Runs feature owns PatchRun records and their Hangfire jobs.
/// </summary>
public interface IRunScheduler
{
    /// <summary>
    /// Creates the run for the plan's next due occurrence (or now), schedules its Hangfire job at the occurrence's
    /// start and moves the plan Approved → Scheduled. Idempotent: a second call for the same occurrence does nothing.
    /// Throws <see cref="RunSchedulingException"/>, whose message is for the user, when the plan is not Approved or its
    /// window has no usable occurrence (none in the future, the chosen one does not exist or has passed its cutoff).
    /// </summary>
    Task ScheduleAsync(Guid planId, string actor, CancellationToken cancellationToken);

    /// <summary>Removes runs of the plan that have not started yet, with their Hangfire jobs (edit, cancel, expiry).</summary>
    Task UnscheduleAsync(Guid planId, string actor, CancellationToken cancellationToken);
}
