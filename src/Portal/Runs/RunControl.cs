using Hangfire;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Runs;

/// <summary>The outcome of an operator's action on a run; the message is for the user.</summary>
public sealed record RunActionResult(bool Succeeded, string Message)
{
    /// <summary>Why it was refused, for the API: bad input (Invalid), the run's state (Conflict), or no such run or host.</summary>
    public ChangeStatus Status { get; init; } = Succeeded ? ChangeStatus.Ok : ChangeStatus.Conflict;

    public static RunActionResult Ok(string message) => new(true, message);

    public static RunActionResult Refused(string message, ChangeStatus status = ChangeStatus.Conflict) => new(false, message) { Status = status };
}

/// <summary>
/// Operators' controls of a run (callers check the Operate policy): pause, resume, cancel with a reason, retry the
/// hosts that did not succeed, roll back one host. Each is a conditional update, so it cannot undo what the engine
/// or another operator did a moment before, and each is audited (refusals too).
/// Cancelling lets agent jobs already running finish: killing apt or dnf half-way can leave the package database
/// broken, which is worse than the patch the operator wanted to stop. No new host starts after a cancel.
/// </summary>
public sealed class RunControl(
    IDbContextFactory<PortalDbContext> factory,
    IAgentClient agents,
    IBackgroundJobClient jobs,
    RunSignals signals,
    RunEventHub events,
    AuditLog audit,
    TimeProvider time)
{
    public const int MaxReasonLength = 500;

    public async Task<RunActionResult> PauseAsync(Guid runId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await db.PatchRuns.Where(r => r.Id == runId && r.State == RunState.Running && !r.PauseRequested && r.CancelledBy == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.PauseRequested, true).SetProperty(r => r.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
        return await ConcludeAsync(db, runId, changed == 1, AuditActions.RunPaused, actor, null,
            "Paused: hosts being patched finish, no new host starts until you resume.", "Only a running run can be paused.", cancellationToken);
    }

    public async Task<RunActionResult> ResumeAsync(Guid runId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await db.PatchRuns.Where(r => r.Id == runId && (r.State == RunState.Running || r.State == RunState.Paused) && r.PauseRequested)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.PauseRequested, false).SetProperty(r => r.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
        return await ConcludeAsync(db, runId, changed == 1, AuditActions.RunResumed, actor, null,
            "Resumed.", "Only a paused run can be resumed.", cancellationToken);
    }

    public async Task<RunActionResult> CancelAsync(Guid runId, string reason, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        reason = reason?.Trim() ?? "";
        if (reason.Length == 0)
        {
            return RunActionResult.Refused("Say why the run is cancelled.", ChangeStatus.Invalid);
        }

        if (reason.Length > MaxReasonLength)
        {
            return RunActionResult.Refused($"The reason may have at most {MaxReasonLength} characters.", ChangeStatus.Invalid);
        }

        var stateReason = $"Cancelled by {actor.Name}: {reason}";
        var now = time.GetUtcNow();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.PatchRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null)
        {
            return RunActionResult.Refused("The run no longer exists.", ChangeStatus.NotFound);
        }

        // Not started yet: it ends here, with its Hangfire job and the plan.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var cancelledBeforeStart = await db.PatchRuns.Where(r => r.Id == runId && r.State == RunState.Scheduled)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.State, RunState.Cancelled)
                .SetProperty(r => r.StateReason, stateReason)
                .SetProperty(r => r.CancelledBy, actor.Name)
                .SetProperty(r => r.FinishedAt, now)
                .SetProperty(r => r.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
        if (cancelledBeforeStart == 1)
        {
            await CancelPlanAsync(db, run.PlanId, actor.Name, stateReason, cancellationToken);
            var cancelled = await ConcludeAsync(db, runId, true, AuditActions.RunCancelled, actor, reason, "Cancelled before it started.", "", cancellationToken);
            if (run.HangfireJobId is { } jobId)
            {
                jobs.Delete(jobId); // after the commit; a job that still fires finds the run Cancelled and does nothing
            }

            return cancelled;
        }

        // Under way: the engine stops starting hosts, lets running ones finish and ends the run Cancelled.
        var changed = await db.PatchRuns.Where(r => r.Id == runId && (r.State == RunState.Running || r.State == RunState.Paused) && r.CancelledBy == null)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.CancelledBy, actor.Name)
                .SetProperty(r => r.StateReason, stateReason)
                .SetProperty(r => r.PauseRequested, false)
                .SetProperty(r => r.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
        return await ConcludeAsync(db, runId, changed == 1, AuditActions.RunCancelled, actor, reason,
            "Cancelling: hosts being patched finish, the others are skipped.", "Only a scheduled, running or paused run can be cancelled.", cancellationToken);
    }

    /// <summary>
    /// Sends the hosts that failed, stayed unreachable or were skipped back to the queue, while the window still
    /// lets hosts start; a run that had ended runs again.
    /// </summary>
    public async Task<RunActionResult> RetryFailedAsync(Guid runId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var now = time.GetUtcNow();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.PatchRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null)
        {
            return RunActionResult.Refused("The run no longer exists.", ChangeStatus.NotFound);
        }

        if (run.State is not (RunState.Running or RunState.Paused or RunState.PartiallyFailed or RunState.Failed) || run.CancelledBy is not null)
        {
            return await RefuseAsync(runId, AuditActions.RunHostsRetried, actor, $"A {run.State} run cannot retry hosts.", cancellationToken);
        }

        if (now >= run.CutoffAt)
        {
            return await RefuseAsync(runId, AuditActions.RunHostsRetried, actor,
                $"The window's cutoff ({run.CutoffAt:yyyy-MM-dd HH:mm} UTC) has passed: no host may start in this run any more.", cancellationToken);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var retried = await db.HostRuns
            .Where(h => h.RunId == runId && (h.State == HostRunState.Failed || h.State == HostRunState.Missed || h.State == HostRunState.Skipped))
            .ExecuteUpdateAsync(s => s
                .SetProperty(h => h.State, HostRunState.Pending)
                .SetProperty(h => h.AgentJobId, (string?)null)
                .SetProperty(h => h.RebootJobId, (string?)null)
                .SetProperty(h => h.RebootedAt, (DateTimeOffset?)null)
                .SetProperty(h => h.NextAttemptAt, (DateTimeOffset?)null)
                .SetProperty(h => h.FinishedAt, (DateTimeOffset?)null)
                .SetProperty(h => h.ProgressPercent, 0)
                .SetProperty(h => h.Error, (string?)null)
                .SetProperty(h => h.Message, $"Retry requested by {actor.Name}")
                .SetProperty(h => h.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
        if (retried == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return await RefuseAsync(runId, AuditActions.RunHostsRetried, actor, "No host of this run failed or was skipped.", cancellationToken);
        }

        var reopened = 0;
        if (RunRules.IsFinal(run.State))
        {
            reopened = await db.PatchRuns.Where(r => r.Id == runId && r.State == run.State).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.State, RunState.Running)
                .SetProperty(r => r.StateReason, (string?)null)
                .SetProperty(r => r.FinishedAt, (DateTimeOffset?)null)
                .SetProperty(r => r.CurrentBatch, 0)
                .SetProperty(r => r.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
            if (reopened == 1)
            {
                await ReopenPlanAsync(db, run.PlanId, actor.Name, cancellationToken);
            }
        }

        var result = await ConcludeAsync(db, runId, true, AuditActions.RunHostsRetried, actor, null,
            $"{retried} {(retried == 1 ? "host goes" : "hosts go")} again.", "", cancellationToken, new { Hosts = retried });
        if (reopened == 1)
        {
            // Queued after the commit, so the job finds the run Running.
            var jobId = RunScheduler.Enqueue(jobs, runId, now, now);
            await db.PatchRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.HangfireJobId, jobId), cancellationToken);
        }

        return result;
    }

    /// <summary>
    /// Asks the host's agent to undo the run's patch job (restoring the versions it recorded before) and follows
    /// that rollback job in the background; the host ends RolledBack when it completes.
    /// </summary>
    public async Task<RunActionResult> RollBackHostAsync(Guid runId, long hostRunId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var record = await db.HostRuns.AsNoTracking().SingleOrDefaultAsync(h => h.Id == hostRunId && h.RunId == runId, cancellationToken);
        if (record is null)
        {
            return RunActionResult.Refused("The host is not part of this run.", ChangeStatus.NotFound);
        }

        if (record.State is not (HostRunState.Succeeded or HostRunState.Failed) || record.AgentJobId is null)
        {
            return await RefuseAsync(runId, AuditActions.RunHostRolledBack, actor,
                $"{record.HostName} has no finished patch job to roll back ({record.State}).", cancellationToken);
        }

        // Claimed first, so a second click or a second operator cannot start a second rollback.
        var claim = "requested:" + Guid.NewGuid().ToString("N");
        var claimed = await db.HostRuns.Where(h => h.Id == hostRunId && h.RollbackJobId == null
                && (h.State == HostRunState.Succeeded || h.State == HostRunState.Failed))
            .ExecuteUpdateAsync(s => s.SetProperty(h => h.RollbackJobId, claim).SetProperty(h => h.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
        if (claimed == 0)
        {
            return await RefuseAsync(runId, AuditActions.RunHostRolledBack, actor, $"A rollback of {record.HostName} was already requested.", cancellationToken);
        }

        var host = await db.Hosts.AsNoTracking().SingleOrDefaultAsync(h => h.Id == record.HostId, cancellationToken);
        var accepted = host is null
            ? AgentCallResult.Fail<Agent.Contracts.JobAccepted>(new AgentFailure(AgentFailureKind.NotEnrolled, "the host was removed from the portal"))
            : await agents.RollbackJobAsync(new AgentEndpoint(host.Id, host.Name, host.Address, host.AgentPort, host.AgentCertificateFingerprint), record.AgentJobId, cancellationToken);
        if (accepted.Failure is { } failure)
        {
            await db.HostRuns.Where(h => h.Id == hostRunId && h.RollbackJobId == claim)
                .ExecuteUpdateAsync(s => s.SetProperty(h => h.RollbackJobId, (string?)null).SetProperty(h => h.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
            var message = failure.ErrorCode == "JOB_CONFLICT"
                ? $"{record.HostName}: the agent has nothing to roll back ({failure.Message})."
                : $"{record.HostName}: the agent refused the rollback ({failure.Message}).";
            return await RefuseAsync(runId, AuditActions.RunHostRolledBack, actor, message, cancellationToken);
        }

        var rollbackJobId = accepted.Value!.JobId;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await db.HostRuns.Where(h => h.Id == hostRunId && h.RollbackJobId == claim).ExecuteUpdateAsync(s => s
                .SetProperty(h => h.RollbackJobId, rollbackJobId)
                .SetProperty(h => h.Message, $"Rolling back (agent job {rollbackJobId}), requested by {actor.Name}")
                .SetProperty(h => h.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
            await audit.SaveWithAsync(db, AuditEntry.By(actor, AuditActions.RunHostRolledBack, $"run {runId}") with
            {
                After = new { Host = record.HostName, record.AgentJobId, RollbackJobId = rollbackJobId },
            }, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        jobs.Enqueue<HostRollbackJob>(RunsOptions.Queue, j => j.FollowAsync(hostRunId, CancellationToken.None));
        events.Publish(new RunChanged(runId, hostRunId));
        return RunActionResult.Ok($"Rolling back {record.HostName}.");
    }

    private async Task CancelPlanAsync(PortalDbContext db, Guid planId, string actor, string reason, CancellationToken cancellationToken)
    {
        var plan = await db.PatchPlans.SingleAsync(p => p.Id == planId, cancellationToken);
        if (plan.State is not (PlanState.Scheduled or PlanState.Running))
        {
            return;
        }

        var from = plan.State;
        plan.TransitionTo(PlanState.Cancelled);
        plan.UpdatedAt = time.GetUtcNow();
        db.PlanEvents.Add(new PlanEvent { PlanId = planId, OccurredAt = time.GetUtcNow(), Actor = actor, Kind = RunExecutor.FinishedEvent, FromState = from, ToState = PlanState.Cancelled, Message = reason });
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task ReopenPlanAsync(PortalDbContext db, Guid planId, string actor, CancellationToken cancellationToken)
    {
        var plan = await db.PatchPlans.SingleAsync(p => p.Id == planId, cancellationToken);
        if (plan.State is not (PlanState.PartiallyFailed or PlanState.Failed))
        {
            return; // an every-occurrence plan has moved on to its next run; this run's retry does not change it
        }

        var from = plan.State;
        plan.TransitionTo(PlanState.Running);
        plan.UpdatedAt = time.GetUtcNow();
        db.PlanEvents.Add(new PlanEvent { PlanId = planId, OccurredAt = time.GetUtcNow(), Actor = actor, Kind = RunExecutor.StartedEvent, FromState = from, ToState = PlanState.Running, Message = "Failed hosts are being retried." });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// Ends an action begun in a transaction on <paramref name="db"/>: done, it commits the change with its audit
    /// entry; refused, it rolls back and audits the refusal.
    /// </summary>
    private async Task<RunActionResult> ConcludeAsync(
        PortalDbContext db, Guid runId, bool done, string action, Actor actor, string? reason, string ok, string refused, CancellationToken cancellationToken, object? details = null)
    {
        if (!done)
        {
            await db.Database.RollbackTransactionAsync(cancellationToken);
            return await RefuseAsync(runId, action, actor, refused, cancellationToken);
        }

        await audit.SaveWithAsync(db, AuditEntry.By(actor, action, $"run {runId}") with
        {
            After = details ?? (reason is null ? null : new { Reason = reason }),
        }, cancellationToken);
        await db.Database.CommitTransactionAsync(cancellationToken);
        signals.Signal(runId);
        events.Publish(new RunChanged(runId));
        return RunActionResult.Ok(ok);
    }

    private async Task<RunActionResult> RefuseAsync(Guid runId, string action, Actor actor, string message, CancellationToken cancellationToken)
    {
        await audit.RecordAsync(AuditEntry.By(actor, action, $"run {runId}") with { Succeeded = false, After = new { Refused = message } }, cancellationToken);
        return RunActionResult.Refused(message);
    }
}
