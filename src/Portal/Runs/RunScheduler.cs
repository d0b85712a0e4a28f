using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Portal.Runs;

/// <summary>A plan cannot be scheduled (wrong state, no usable occurrence); the message is for the user.</summary>
public sealed class RunSchedulingException(string message) : InvalidOperationException(message);

/// <summary>The span a run works in: it starts hosts from <see cref="Start"/> until <see cref="CutoffAt"/>.</summary>
public sealed record RunOccurrence(DateTimeOffset Start, DateTimeOffset End, DateTimeOffset CutoffAt, string Description);

/// <summary>
/// Turns an approved plan into a <see cref="PatchRun"/> for its occurrence and a Hangfire job at the occurrence's
/// start (Hangfire keeps it in its database, so it survives restarts). The unique (plan, occurrence) key makes a
/// second call for the same occurrence a no-op.
/// </summary>
public sealed class RunScheduler(
    IDbContextFactory<PortalDbContext> factory,
    IMaintenanceSchedule schedule,
    IBackgroundJobClient jobs,
    AuditLog audit,
    RunEventHub events,
    IOptions<RunsOptions> options,
    TimeProvider time,
    ILogger<RunScheduler> logger) : IRunScheduler
{
    public const string ScheduledEvent = "run-scheduled";
    public const string UnscheduledEvent = "run-unscheduled";

    public async Task ScheduleAsync(Guid planId, string actor, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var plan = await db.PatchPlans.Include(p => p.Window).SingleOrDefaultAsync(p => p.Id == planId, cancellationToken)
            ?? throw new RunSchedulingException($"Plan {planId} does not exist.");
        var open = await db.PatchRuns.AnyAsync(r => r.PlanId == planId && (r.State == RunState.Scheduled || r.State == RunState.Running || r.State == RunState.Paused), cancellationToken);
        if (plan.State == PlanState.Scheduled && open)
        {
            return; // already done: the plans feature may call again after a retry of its own
        }

        if (plan.State is not (PlanState.Approved or PlanState.Scheduled))
        {
            throw new RunSchedulingException($"Plan '{plan.Name}' is {plan.State}; only an approved plan can be scheduled.");
        }

        var now = time.GetUtcNow();
        var occurrence = Resolve(plan, schedule, now, TimeSpan.FromMinutes(options.Value.ImmediateRunMinutes));
        await CreateAsync(db, plan, occurrence, actor, cancellationToken);
    }

    public async Task UnscheduleAsync(Guid planId, string actor, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var waiting = await db.PatchRuns.AsNoTracking().Where(r => r.PlanId == planId && r.State == RunState.Scheduled).ToListAsync(cancellationToken);
        foreach (var run in waiting)
        {
            // Conditional delete: a run the engine started in the meantime is not "not started" any more and stays.
            var deleted = await db.PatchRuns.Where(r => r.Id == run.Id && r.State == RunState.Scheduled).ExecuteDeleteAsync(cancellationToken);
            if (deleted == 0)
            {
                continue;
            }

            if (run.HangfireJobId is { } jobId)
            {
                jobs.Delete(jobId);
            }

            db.PlanEvents.Add(new PlanEvent
            {
                PlanId = planId,
                OccurredAt = time.GetUtcNow(),
                Actor = actor,
                Kind = UnscheduledEvent,
                Message = $"The run for {run.OccurrenceStart:yyyy-MM-dd HH:mm} UTC was removed before it started.",
            });
            await db.SaveChangesAsync(cancellationToken);
            await audit.RecordAsync(new AuditEntry(AuditActions.RunCancelled, actor, $"run {run.Id}")
            {
                Before = new { run.PlanId, run.OccurrenceStart, State = nameof(RunState.Scheduled) },
                After = new { Removed = true, Reason = "unscheduled before it started" },
            }, cancellationToken);
            RunsLog.Unscheduled(logger, run.Id, planId);
            events.Publish(new RunChanged(run.Id));
        }
    }

    /// <summary>
    /// After a run of an every-occurrence plan ended: the run for the window's next occurrence, or null when the
    /// window has none (the caller then ends the plan with the run's state).
    /// </summary>
    internal async Task<PatchRun?> ScheduleFollowingAsync(Guid planId, DateTimeOffset after, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var plan = await db.PatchPlans.Include(p => p.Window).SingleAsync(p => p.Id == planId, cancellationToken);
        if (plan.Window is not { Enabled: true } window || plan.State != PlanState.Running)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var next = schedule.NextOccurrence(window, after > now ? after : now);
        while (next is not null && next.CutoffAt <= now)
        {
            next = schedule.NextOccurrence(window, next.End);
        }

        if (next is null)
        {
            return null;
        }

        return await CreateAsync(db, plan, Describe(next), "system", cancellationToken);
    }

    /// <summary>Where the plan's run falls: now, its chosen occurrence, or the window's next one whose cutoff is ahead.</summary>
    public static RunOccurrence Resolve(PatchPlan plan, IMaintenanceSchedule schedule, DateTimeOffset now, TimeSpan immediateSpan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(schedule);
        if (plan.Timing == PlanTiming.Now)
        {
            return new RunOccurrence(now, now + immediateSpan, now + immediateSpan, "now");
        }

        if (plan.Window is not { } window)
        {
            throw new RunSchedulingException($"Plan '{plan.Name}' names no maintenance window.");
        }

        if (!window.Enabled)
        {
            throw new RunSchedulingException($"Maintenance window '{window.Name}' is disabled.");
        }

        if (plan.Timing == PlanTiming.Occurrence)
        {
            var start = plan.OccurrenceStart ?? throw new RunSchedulingException($"Plan '{plan.Name}' names no occurrence of window '{window.Name}'.");
            var chosen = schedule.OccurrenceStartingAt(window, start)
                ?? throw new RunSchedulingException($"Window '{window.Name}' has no occurrence starting at {start:yyyy-MM-dd HH:mm} UTC.");
            return chosen.CutoffAt > now
                ? Describe(chosen)
                : throw new RunSchedulingException($"The occurrence of window '{window.Name}' at {start:yyyy-MM-dd HH:mm} UTC has passed its cutoff.");
        }

        // Next or every occurrence: one under way still counts while hosts may start in it.
        var next = schedule.NextOccurrence(window, now);
        while (next is not null && next.CutoffAt <= now)
        {
            next = schedule.NextOccurrence(window, next.End);
        }

        return next is null
            ? throw new RunSchedulingException($"Window '{window.Name}' has no future occurrence.")
            : Describe(next);
    }

    private static RunOccurrence Describe(WindowOccurrence occurrence) =>
        new(occurrence.Start, occurrence.End, occurrence.CutoffAt, $"window '{occurrence.WindowName}' ({occurrence.TimeZoneId})");

    private async Task<PatchRun> CreateAsync(PortalDbContext db, PatchPlan plan, RunOccurrence occurrence, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var run = await db.PatchRuns.SingleOrDefaultAsync(r => r.PlanId == plan.Id && r.OccurrenceStart == occurrence.Start, cancellationToken);
        if (run is not null && RunRules.IsFinal(run.State))
        {
            throw new RunSchedulingException($"Plan '{plan.Name}' already ran for the occurrence at {occurrence.Start:yyyy-MM-dd HH:mm} UTC ({run.State}).");
        }

        if (run is null)
        {
            run = new PatchRun
            {
                PlanId = plan.Id,
                OccurrenceStart = occurrence.Start,
                OccurrenceEnd = occurrence.End,
                CutoffAt = occurrence.CutoffAt,
                State = RunState.Scheduled,
                CreatedAt = now,
            };
            db.PatchRuns.Add(run);
        }

        var from = plan.State;
        if (from != PlanState.Scheduled)
        {
            plan.TransitionTo(PlanState.Scheduled);
            plan.UpdatedAt = now;
        }

        db.PlanEvents.Add(new PlanEvent
        {
            PlanId = plan.Id,
            OccurredAt = now,
            Actor = actor,
            Kind = ScheduledEvent,
            FromState = from,
            ToState = PlanState.Scheduled,
            Message = $"Run scheduled for {occurrence.Start:yyyy-MM-dd HH:mm} UTC ({occurrence.Description}); no host starts after {occurrence.CutoffAt:yyyy-MM-dd HH:mm} UTC.",
        });

        var scheduled = new AuditEntry(AuditActions.PlanScheduled, actor, plan.Name)
        {
            Before = new { State = from.ToString() },
            After = new { State = nameof(PlanState.Scheduled), RunId = run.Id, run.OccurrenceStart, run.CutoffAt },
        };
        try
        {
            await audit.SaveWithAsync(db, scheduled, cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Two callers at once: the unique (plan, occurrence) key or the plan's stamp let only one win.
            if (!await IsScheduledAsync(plan.Id, occurrence.Start, cancellationToken))
            {
                throw;
            }

            return await db.PatchRuns.AsNoTracking().SingleAsync(r => r.PlanId == plan.Id && r.OccurrenceStart == occurrence.Start, cancellationToken);
        }

        if (run.HangfireJobId is null)
        {
            // After the row is committed, so the job always finds its run; a crash in between leaves a run without a
            // job, which the start-up recovery schedules.
            run.HangfireJobId = Enqueue(jobs, run.Id, run.OccurrenceStart, now);
            await db.PatchRuns.Where(r => r.Id == run.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.HangfireJobId, run.HangfireJobId), cancellationToken);
        }

        RunsLog.Scheduled(logger, run.Id, plan.Id, run.OccurrenceStart);
        events.Publish(new RunChanged(run.Id));
        return run;
    }

    private async Task<bool> IsScheduledAsync(Guid planId, DateTimeOffset start, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.PatchRuns.AnyAsync(r => r.PlanId == planId && r.OccurrenceStart == start, cancellationToken)
            && await db.PatchPlans.AnyAsync(p => p.Id == planId && p.State == PlanState.Scheduled, cancellationToken);
    }

    /// <summary>The run's Hangfire job: queued now when its start has come, else scheduled for the start.</summary>
    internal static string Enqueue(IBackgroundJobClient jobs, Guid runId, DateTimeOffset start, DateTimeOffset now) =>
        start <= now
            ? jobs.Enqueue<RunExecutor>(RunsOptions.Queue, e => e.ExecuteAsync(runId, CancellationToken.None))
            : jobs.Schedule<RunExecutor>(RunsOptions.Queue, e => e.ExecuteAsync(runId, CancellationToken.None), start);
}
