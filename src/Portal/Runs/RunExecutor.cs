using System.Data.Common;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Inventory;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Portal.Runs;

/// <summary>
/// The Hangfire job that executes one run, from its occurrence's start until every host has ended. Safe to run
/// twice and to resume: it claims the run (<see cref="RunLease"/>) so only one executor works on it, resolves the
/// plan's targets into host records once, and carries on from what the records say. Hosts go in batches (canaries
/// alone first) with bounded concurrency; before a host starts, the cutoff, blackouts, pause, cancel and the failure
/// budget are checked, and when one of them says stop, running hosts finish and the others end Skipped (or Missed,
/// when they stayed unreachable) with the reason.
/// </summary>
[AutomaticRetry(Attempts = 0)] // window-bound: it retries hosts inside the window by its own rule, never hours later
public sealed class RunExecutor(
    IDbContextFactory<PortalDbContext> factory,
    HostPatcher patcher,
    RunLease lease,
    RunSignals signals,
    RunEventHub events,
    IBlackoutCalendar blackouts,
    IHostRefreshScheduler inventory,
    RunScheduler scheduler,
    AuditLog audit,
    IOptions<RunsOptions> options,
    TimeProvider time,
    ILogger<RunExecutor> logger)
{
    public const string StartedEvent = "run-started";
    public const string FinishedEvent = "run-finished";
    public const string Actor = "system";

    public async Task ExecuteAsync(Guid runId, CancellationToken cancellationToken)
    {
        var owner = lease.NewOwner();
        if (!await lease.TryAcquireAsync(runId, owner, cancellationToken))
        {
            RunsLog.ClaimedElsewhere(logger, runId);
            return;
        }

        try
        {
            var context = await StartAsync(runId, cancellationToken);
            if (context is null)
            {
                return;
            }

            var stop = await DispatchAsync(context, owner, cancellationToken);
            await FinishAsync(context, stop, cancellationToken);
        }
        catch (RunLeaseLostException)
        {
            RunsLog.LeaseLost(logger, runId);
        }
        finally
        {
            await lease.ReleaseAsync(runId, owner);
        }
    }

    /// <summary>Moves a due run to Running (once) and creates its host records (once); null when there is nothing to do.</summary>
    private async Task<RunContext?> StartAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.PatchRuns.AsNoTracking()
            .Include(r => r.Plan!).ThenInclude(p => p.TargetGroups)
            .Include(r => r.Plan!).ThenInclude(p => p.TargetTags)
            .Include(r => r.Plan!).ThenInclude(p => p.TargetHosts)
            .AsSplitQuery()
            .SingleOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null || RunRules.IsFinal(run.State))
        {
            RunsLog.NothingToDo(logger, runId);
            return null;
        }

        var plan = run.Plan!;
        if (run.State == RunState.Scheduled)
        {
            if (plan.State is not (PlanState.Scheduled or PlanState.Running))
            {
                await db.PatchRuns.Where(r => r.Id == runId && r.State == RunState.Scheduled).ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.State, RunState.Cancelled)
                    .SetProperty(r => r.StateReason, $"The plan is {plan.State}; the run did not start.")
                    .SetProperty(r => r.FinishedAt, time.GetUtcNow())
                    .SetProperty(r => r.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
                events.Publish(new RunChanged(runId));
                return null;
            }

            var now = time.GetUtcNow();
            var started = await db.PatchRuns.Where(r => r.Id == runId && r.State == RunState.Scheduled).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.State, RunState.Running)
                .SetProperty(r => r.StartedAt, now)
                .SetProperty(r => r.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
            if (started == 0)
            {
                return null; // cancelled in the meantime
            }

            await UpdatePlanAsync(plan.Id, p => p.State == PlanState.Scheduled
                ? Transition(p, PlanState.Running, StartedEvent, $"Run for {run.OccurrenceStart:yyyy-MM-dd HH:mm} UTC started.")
                : null, cancellationToken);
            await audit.RecordAsync(new AuditEntry(AuditActions.RunStarted, Actor, $"run {runId}")
            {
                After = new { RunId = runId, PlanId = plan.Id, Plan = plan.Name, run.OccurrenceStart, run.CutoffAt },
            }, cancellationToken);
            RunsLog.RunStarted(logger, runId, plan.Name);
            events.Publish(new RunChanged(runId));
        }

        if (!await db.HostRuns.AnyAsync(h => h.RunId == runId, cancellationToken))
        {
            var hosts = await db.ResolveAsync(TargetSet.Of(plan.TargetGroups, plan.TargetTags, plan.TargetHosts), cancellationToken);
            var slots = RunRules.Assign(hosts.Select(h => (h.Id, h.Name)), plan.CanaryHostIds, plan.BatchSize, plan.BatchSizeIsPercent);
            db.HostRuns.AddRange(slots.Select(s => new HostRun
            {
                RunId = runId,
                HostId = s.HostId,
                HostName = s.HostName,
                BatchNumber = s.BatchNumber,
                IsCanary = s.IsCanary,
                State = HostRunState.Pending,
            }));
            await db.SaveChangesAsync(cancellationToken);
            events.Publish(new RunChanged(runId));
        }

        return new RunContext(
            runId,
            plan.Id,
            plan.Name,
            plan.Scope,
            plan.Packages,
            plan.ExcludedPackages,
            plan.RebootPolicy,
            TimeSpan.FromMinutes(plan.HostTimeoutMinutes),
            run.CutoffAt,
            plan.MaxFailures,
            plan.MaxFailuresIsPercent);
    }

    /// <summary>Starts hosts until none is left to start; returns why it stopped early, or null when all ran.</summary>
    private async Task<string?> DispatchAsync(RunContext context, string owner, CancellationToken cancellationToken)
    {
        var running = new Dictionary<long, Task>();
        // Hosts whose work stopped on a database failure (a full disk, a lock): their state in the database is the
        // last checkpoint that was written, so they are resumed from it after a pause, not marked failed.
        var resting = new Dictionary<long, DateTimeOffset>();
        var renewed = time.GetUtcNow();
        try
        {
            while (true)
            {
                var wake = signals.Next(context.RunId);
                var now = time.GetUtcNow();
                if (now - renewed >= lease.Duration / 3)
                {
                    if (!await lease.RenewAsync(context.RunId, owner, cancellationToken))
                    {
                        throw new RunLeaseLostException();
                    }

                    renewed = now;
                }

                PatchRun run;
                List<HostRun> hosts;
                await using (var db = await factory.CreateDbContextAsync(cancellationToken))
                {
                    run = await db.PatchRuns.AsNoTracking().SingleAsync(r => r.Id == context.RunId, cancellationToken);
                    hosts = await db.HostRuns.AsNoTracking().Where(h => h.RunId == context.RunId).ToListAsync(cancellationToken);
                }

                foreach (var (id, _) in resting.Where(r => r.Value <= now).ToList())
                {
                    resting.Remove(id);
                }

                // Hosts caught mid-step by a stopped executor are running: they finish whatever else happens.
                foreach (var host in hosts.Where(h => h.State is HostRunState.Patching or HostRunState.Rebooting && !running.ContainsKey(h.Id) && !resting.ContainsKey(h.Id)))
                {
                    running[host.Id] = Start(context, host, cancellationToken);
                }

                if (running.Count == 0 && resting.Count == 0 && !hosts.Any(h => h.State is HostRunState.Pending or HostRunState.Retrying))
                {
                    // Every host has ended (also while paused): a cancel or halt still explains the end, a cutoff does not.
                    return run.CancelledBy is not null
                        ? run.StateReason ?? $"Cancelled by {run.CancelledBy}."
                        : RunRules.HaltReason(hosts, context.MaxFailures, context.MaxFailuresIsPercent);
                }

                var stop = StopReason(run, hosts, now, context);
                if (stop is not null)
                {
                    await EndUnstartedAsync(context, hosts, running, stop, cutoff: run.CancelledBy is null && now >= context.CutoffAt && RunRules.HaltReason(hosts, context.MaxFailures, context.MaxFailuresIsPercent) is null, cancellationToken);
                    if (running.Count == 0 && resting.Count == 0)
                    {
                        return stop;
                    }
                }
                else if (run.PauseRequested)
                {
                    await SetStateAsync(context.RunId, RunState.Running, RunState.Paused, cancellationToken);
                }
                else
                {
                    await SetStateAsync(context.RunId, RunState.Paused, RunState.Running, cancellationToken);
                    var batch = await AdvanceBatchAsync(context.RunId, run.CurrentBatch, hosts, running, cancellationToken);
                    var changed = false;
                    foreach (var host in hosts
                        .Where(h => h.BatchNumber <= batch && !running.ContainsKey(h.Id) && !resting.ContainsKey(h.Id)
                            && (h.State == HostRunState.Pending || (h.State == HostRunState.Retrying && h.NextAttemptAt <= now)))
                        .OrderBy(h => h.BatchNumber).ThenBy(h => h.HostName, StringComparer.OrdinalIgnoreCase))
                    {
                        if (running.Count + resting.Count >= options.Value.MaxConcurrentHosts)
                        {
                            break;
                        }

                        if (await blackouts.ActiveForHostAsync(host.HostId, now, cancellationToken) is { } blackout)
                        {
                            changed |= await EndHostAsync(context.RunId, host, HostRunState.Skipped,
                                $"Blackout '{blackout.Name}' until {blackout.EndsAt:yyyy-MM-dd HH:mm} UTC", cancellationToken);
                            continue;
                        }

                        running[host.Id] = Start(context, host, cancellationToken);
                    }

                    if (changed)
                    {
                        continue; // a host was skipped: look again with fresh records
                    }
                }

                await WaitAsync(context, hosts, running, resting, wake, now, cancellationToken);
            }
        }
        finally
        {
            if (running.Count > 0)
            {
                // Stopping (shutdown or a lost claim): let the host tasks see the cancellation and stop writing.
                await Task.WhenAll(running.Values.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
            }
        }
    }

    private Task Start(RunContext context, HostRun host, CancellationToken cancellationToken) =>
        Task.Run(() => patcher.PatchAsync(context, host.Id, cancellationToken), cancellationToken);

    private static string? StopReason(PatchRun run, List<HostRun> hosts, DateTimeOffset now, RunContext context)
    {
        if (run.CancelledBy is not null)
        {
            return run.StateReason ?? $"Cancelled by {run.CancelledBy}.";
        }

        return RunRules.HaltReason(hosts, context.MaxFailures, context.MaxFailuresIsPercent)
            ?? (now >= context.CutoffAt
                ? $"Cutoff reached at {context.CutoffAt:yyyy-MM-dd HH:mm} UTC: no host starts in the window's last minutes."
                : null);
    }

    /// <summary>The run's current batch: it moves on once every host of the batch has ended (non-canary hosts waiting to retry do not hold it).</summary>
    private async Task<int> AdvanceBatchAsync(Guid runId, int current, List<HostRun> hosts, Dictionary<long, Task> running, CancellationToken cancellationToken)
    {
        if (hosts.Count == 0)
        {
            return current;
        }

        var last = hosts.Max(h => h.BatchNumber);
        var canaryBatch = hosts.Any(h => h.IsCanary) ? 0 : -1;
        var batch = current;
        while (batch < last && hosts.Where(h => h.BatchNumber == batch).All(h => !running.ContainsKey(h.Id)
            && (RunRules.IsFinal(h.State) || (h.State == HostRunState.Retrying && batch != canaryBatch))))
        {
            batch++;
        }

        if (batch != current)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            await db.PatchRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.CurrentBatch, batch)
                .SetProperty(r => r.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
            RunsLog.BatchStarted(logger, runId, batch + 1, last + 1);
            events.Publish(new RunChanged(runId));
        }

        return batch;
    }

    /// <summary>Ends the hosts that will not start now: Skipped with the reason, or Missed when the cutoff caught them retrying.</summary>
    private async Task EndUnstartedAsync(RunContext context, List<HostRun> hosts, Dictionary<long, Task> running, string reason, bool cutoff, CancellationToken cancellationToken)
    {
        foreach (var host in hosts.Where(h => h.State is HostRunState.Pending or HostRunState.Retrying && !running.ContainsKey(h.Id)))
        {
            if (host.State == HostRunState.Retrying && cutoff)
            {
                await EndHostAsync(context.RunId, host, HostRunState.Missed,
                    $"Unreachable through the window after {host.Attempts} {(host.Attempts == 1 ? "attempt" : "attempts")}", cancellationToken);
            }
            else
            {
                await EndHostAsync(context.RunId, host, HostRunState.Skipped, reason, cancellationToken);
            }
        }
    }

    /// <summary>Ends a host that is not running, unless someone changed it since it was read.</summary>
    private async Task<bool> EndHostAsync(Guid runId, HostRun host, HostRunState state, string message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var ended = await db.HostRuns.Where(h => h.Id == host.Id && h.State == host.State && h.ConcurrencyStamp == host.ConcurrencyStamp)
            .ExecuteUpdateAsync(s => s
                .SetProperty(h => h.State, state)
                .SetProperty(h => h.Message, message)
                .SetProperty(h => h.NextAttemptAt, (DateTimeOffset?)null)
                .SetProperty(h => h.FinishedAt, now)
                .SetProperty(h => h.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
        if (ended == 1)
        {
            RunsLog.HostEnded(logger, runId, host.HostName, state, message);
            events.Publish(new RunChanged(runId, host.Id));
        }

        return ended == 1;
    }

    private async Task SetStateAsync(Guid runId, RunState from, RunState to, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var changed = await db.PatchRuns.Where(r => r.Id == runId && r.State == from).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.State, to)
            .SetProperty(r => r.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
        if (changed == 1)
        {
            RunsLog.RunState(logger, runId, to);
            events.Publish(new RunChanged(runId));
        }
    }

    /// <summary>Sleeps until a host finishes, an operator acts, a retry falls due, the cutoff comes, or the next tick.</summary>
    private async Task WaitAsync(
        RunContext context, List<HostRun> hosts, Dictionary<long, Task> running, Dictionary<long, DateTimeOffset> resting, Task wake, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var until = now + TimeSpan.FromSeconds(options.Value.PollSeconds);
        foreach (var due in hosts.Where(h => h.State == HostRunState.Retrying && h.NextAttemptAt is not null && !running.ContainsKey(h.Id)).Select(h => h.NextAttemptAt!.Value)
            .Concat(resting.Values))
        {
            until = due < until ? due : until;
        }

        if (context.CutoffAt > now && context.CutoffAt < until)
        {
            until = context.CutoffAt;
        }

        using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(until > now ? until - now : TimeSpan.Zero, time, tick.Token);
        await Task.WhenAny([.. running.Values, wake, delay]);
        await tick.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();

        foreach (var (id, task) in running.Where(r => r.Value.IsCompleted).ToList())
        {
            running.Remove(id);
            if (task.Exception is { } database && database.InnerExceptions.All(e => e is DbException or DbUpdateException))
            {
                // The database refused a checkpoint: what the host really did (an agent job may be running) is known to
                // the agent, not to this record. Resumed from its last written state after a pause (following its job,
                // or finding it through the agent's job list and the attempt's idempotency key).
                var host = hosts.FirstOrDefault(h => h.Id == id);
                var retryAt = time.GetUtcNow() + TimeSpan.FromSeconds(options.Value.PollSeconds);
                RunsLog.HostCheckpointFailed(logger, database.GetBaseException(), context.RunId,
                    host?.HostName ?? id.ToString(System.Globalization.CultureInfo.InvariantCulture), retryAt);
                resting[id] = retryAt;
            }
            else if (task.Exception is { } crash)
            {
                // A bug or a database failure in one host's work must not stop the run or hide the host.
                var host = hosts.FirstOrDefault(h => h.Id == id);
                RunsLog.HostCrashed(logger, crash.GetBaseException(), context.RunId, host?.HostName ?? id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                await using var db = await factory.CreateDbContextAsync(cancellationToken);
                await db.HostRuns.Where(h => h.Id == id && (h.State == HostRunState.Patching || h.State == HostRunState.Rebooting || h.State == HostRunState.Pending || h.State == HostRunState.Retrying))
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(h => h.State, HostRunState.Failed)
                        .SetProperty(h => h.Error, "The portal failed while working on this host: " + crash.GetBaseException().Message)
                        .SetProperty(h => h.FinishedAt, time.GetUtcNow())
                        .SetProperty(h => h.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
                events.Publish(new RunChanged(context.RunId, id));
            }
        }
    }

    /// <summary>Records the run's end state, moves the plan along (or schedules its next occurrence), audits, refreshes inventory.</summary>
    private async Task FinishAsync(RunContext context, string? stop, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var hosts = await db.HostRuns.AsNoTracking().Where(h => h.RunId == context.RunId).ToListAsync(cancellationToken);
        var run = await db.PatchRuns.AsNoTracking().SingleAsync(r => r.Id == context.RunId, cancellationToken);
        var state = RunRules.EndState(hosts, cancelled: run.CancelledBy is not null);
        var reason = stop ?? RunRules.Summary(hosts);
        var now = time.GetUtcNow();
        var finished = await db.PatchRuns.Where(r => r.Id == context.RunId && (r.State == RunState.Running || r.State == RunState.Paused))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.State, state)
                .SetProperty(r => r.StateReason, reason)
                .SetProperty(r => r.FinishedAt, now)
                .SetProperty(r => r.PauseRequested, false)
                .SetProperty(r => r.ConcurrencyStamp, Guid.NewGuid()), cancellationToken);
        if (finished == 0)
        {
            return;
        }

        var counts = new
        {
            Hosts = hosts.Count,
            Succeeded = hosts.Count(h => h.State == HostRunState.Succeeded),
            Failed = hosts.Count(h => h.State == HostRunState.Failed),
            Missed = hosts.Count(h => h.State == HostRunState.Missed),
            Skipped = hosts.Count(h => h.State == HostRunState.Skipped),
        };
        var summary = $"Run for {run.OccurrenceStart:yyyy-MM-dd HH:mm} UTC ended {state}: {counts.Succeeded} of {counts.Hosts} hosts patched."
            + (reason is null ? "" : " " + reason);
        var plan = await db.PatchPlans.AsNoTracking().SingleAsync(p => p.Id == context.PlanId, cancellationToken);
        if (plan.State == PlanState.Running && plan.Timing == PlanTiming.EveryOccurrence && state != RunState.Cancelled)
        {
            await UpdatePlanAsync(plan.Id, p => Event(p, FinishedEvent, summary), cancellationToken);
            if (await scheduler.ScheduleFollowingAsync(plan.Id, run.OccurrenceEnd, cancellationToken) is null)
            {
                await UpdatePlanAsync(plan.Id, p => p.State == PlanState.Running
                    ? Transition(p, RunRules.PlanStateFor(state), FinishedEvent, "The window has no further occurrence.")
                    : null, cancellationToken);
            }
        }
        else
        {
            await UpdatePlanAsync(plan.Id, p => p.State == PlanState.Running
                ? Transition(p, RunRules.PlanStateFor(state), FinishedEvent, summary)
                : Event(p, FinishedEvent, summary), cancellationToken);
        }

        await audit.RecordAsync(new AuditEntry(AuditActions.RunFinished, Actor, $"run {context.RunId}")
        {
            Succeeded = state == RunState.Succeeded,
            After = new { RunId = context.RunId, PlanId = context.PlanId, Plan = context.PlanName, State = state.ToString(), Reason = reason, counts.Hosts, counts.Succeeded, counts.Failed, counts.Missed, counts.Skipped },
        }, cancellationToken);
        RunsLog.RunFinished(logger, context.RunId, state, reason ?? "");
        events.Publish(new RunChanged(context.RunId));

        var touched = hosts.Where(h => h.AgentJobId is not null).Select(h => h.HostId).Distinct().ToList();
        if (touched.Count > 0)
        {
            inventory.RefreshNow(touched);
        }
    }

    private PlanEvent Transition(PatchPlan plan, PlanState to, string kind, string message)
    {
        var from = plan.State;
        plan.TransitionTo(to);
        plan.UpdatedAt = time.GetUtcNow();
        return new PlanEvent { PlanId = plan.Id, OccurredAt = time.GetUtcNow(), Actor = Actor, Kind = kind, FromState = from, ToState = to, Message = message };
    }

    private PlanEvent Event(PatchPlan plan, string kind, string message) =>
        new() { PlanId = plan.Id, OccurredAt = time.GetUtcNow(), Actor = Actor, Kind = kind, Message = message };

    /// <summary>Changes the plan under its concurrency stamp, trying again with fresh data when someone else saved it first.</summary>
    private async Task UpdatePlanAsync(Guid planId, Func<PatchPlan, PlanEvent?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var plan = await db.PatchPlans.SingleAsync(p => p.Id == planId, cancellationToken);
            if (change(plan) is not { } entry)
            {
                return;
            }

            db.PlanEvents.Add(entry);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return;
            }
            catch (DbUpdateConcurrencyException) when (attempt < 3)
            {
                // The plans feature saved the plan in between; decide again on what it saved.
            }
        }
    }
}

/// <summary>The executor's claim lapsed and another executor took the run; this one stops.</summary>
public sealed class RunLeaseLostException : Exception
{
    public RunLeaseLostException()
        : base("The claim on the run was lost.")
    {
    }

    public RunLeaseLostException(string message)
        : base(message)
    {
    }

    public RunLeaseLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
