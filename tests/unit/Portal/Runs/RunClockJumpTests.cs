using Hangfire.States;
using Microsoft.Extensions.Logging.Abstractions;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Runs;
using PatchPortal.Tests.Unit.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Runs;

/// <summary>
/// The wall clock jumps (an operator sets it, NTP steps it, a suspended VM resumes) across a window's start or back
/// after a run began: the run starts once, says why no host started when the jump also passed the cutoff, and no
/// host is patched twice nor a second run created for the same occurrence.
/// </summary>
[Collection(HangfireGlobalState.Name)]
public sealed class RunClockJumpTests : IDisposable
{
    private static readonly TimeSpan Cutoff = TimeSpan.FromMinutes(90); // the harness's window: two hours, the last half hour cut off
    private readonly RunHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private RunWatchdog Watchdog() => new(_harness.Database, _harness.Jobs, _harness.Storage, _harness.Clock, NullLogger<RunWatchdog>.Instance);

    private List<string> QueuedRunJobs() =>
        _harness.Storage.GetMonitoringApi().EnqueuedJobs(RunsOptions.Queue, 0, 100).Select(j => j.Key).ToList();

    private string? JobState(string jobId)
    {
        using var connection = _harness.Storage.GetConnection();
        return connection.GetJobData(jobId)?.State;
    }

    private int Applies(ManagedHost host) => _harness.CallsTo(host).Count(c => c == "apply");

    [Fact]
    public async Task ExecuteAsync_StartsRunOnce_WhenClockJumpsForwardPastWindowStart()
    {
        _harness.Clock.Jump(TimeSpan.FromHours(-1));
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2"]);
        Assert.Equal(ScheduledState.StateName, JobState(run.HangfireJobId!));
        _harness.Clock.Jump(TimeSpan.FromMinutes(70)); // ten minutes into the window, with no time passing

        // The watchdog's minute comes round first: the run's own job still waits to fire, so it adds none.
        await Watchdog().CheckAsync(CancellationToken.None);
        Assert.Empty(QueuedRunJobs());

        // Hangfire fires the job, and an executor of another node (its watchdog) comes at the same moment.
        var fired = _harness.Executor().ExecuteAsync(run.Id, CancellationToken.None);
        var duplicate = _harness.Executor(new PortalNode("portal-2", "node-b")).ExecuteAsync(run.Id, CancellationToken.None);
        await _harness.DriveAsync(Task.WhenAll(fired, duplicate));

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.InRange(done.StartedAt!.Value, RunHarness.Start.AddMinutes(10), RunHarness.Start.AddMinutes(11));
        Assert.Single(await _harness.Database.AuditAsync(AuditActions.RunStarted));
        Assert.All(hosts, h => Assert.Equal(1, Applies(h)));
    }

    [Fact]
    public async Task ExecuteAsync_StartsNoHostAndSaysTheCutoffPassed_WhenClockJumpsPastWindowStartAndCutoff()
    {
        var window = await _harness.WindowAsync();
        _harness.Schedule.Add(window, RunHarness.Start.AddDays(7), TimeSpan.FromHours(2), TimeSpan.FromMinutes(30));
        _harness.Clock.Jump(TimeSpan.FromHours(-1));
        var (plan, run, _) = await _harness.ScheduledRunAsync(["web-1", "web-2"], p => p.Timing = PlanTiming.EveryOccurrence, window);
        _harness.Clock.Jump(TimeSpan.FromHours(1) + Cutoff + TimeSpan.FromMinutes(10)); // a suspended VM resumes past the cutoff

        await _harness.ExecuteAsync(run.Id);

        var done = await _harness.Database.GetRunAsync(run.Id);
        const string Reason = "Cutoff reached at 2026-11-29 02:30 UTC: no host starts in the window's last minutes.";
        Assert.Equal((RunState.Failed, Reason), (done.State, done.StateReason));
        Assert.All(done.Hosts, h => Assert.Equal((HostRunState.Skipped, Reason), (h.State, h.Message)));
        Assert.Empty(_harness.Agents.Calls);
        // The plan carries on with the window's next occurrence; the passed one is not run again.
        var runs = await _harness.Database.RunsOfAsync(plan.Id);
        Assert.Equal([(RunState.Failed, RunHarness.Start), (RunState.Scheduled, RunHarness.Start.AddDays(7))], runs.Select(r => (r.State, r.OccurrenceStart)));
    }

    [Fact]
    public async Task ExecuteAsync_PatchesEachHostOnceAndCreatesNoSecondRunForTheOccurrence_WhenClockJumpsBackAfterRunStarted()
    {
        var window = await _harness.WindowAsync();
        _harness.Schedule.Add(window, RunHarness.Start.AddDays(7), TimeSpan.FromHours(2), TimeSpan.FromMinutes(30));
        var (plan, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2"], p =>
        {
            p.Timing = PlanTiming.EveryOccurrence;
            p.BatchSize = 1;
        }, window);
        var following = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _harness.Agents.For(hosts[0].Id).OnFollow = async (_, token) =>
        {
            following.TrySetResult();
            await release.Task.WaitAsync(token);
        };
        var execution = _harness.Executor().ExecuteAsync(run.Id, CancellationToken.None);
        await following.Task.WaitAsync(TimeSpan.FromSeconds(30));

        _harness.Clock.Jump(TimeSpan.FromHours(-3)); // set back to before the window opened, while web-1 is being patched
        await Watchdog().CheckAsync(CancellationToken.None);
        release.SetResult();
        await _harness.DriveAsync(execution);
        // With the clock still before the window: the run's job again (a requeue), and the plans feature scheduling again.
        await _harness.ExecuteAsync(run.Id);
        await _harness.Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None);

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.All(hosts, h => Assert.Equal(1, Applies(h)));
        Assert.All(done.Hosts, h => Assert.Equal((HostRunState.Succeeded, 1), (h.State, h.Attempts)));
        Assert.Single(await _harness.Database.AuditAsync(AuditActions.RunStarted));
        var runs = await _harness.Database.RunsOfAsync(plan.Id);
        Assert.Equal([(RunState.Succeeded, RunHarness.Start), (RunState.Scheduled, RunHarness.Start.AddDays(7))], runs.Select(r => (r.State, r.OccurrenceStart)));
        Assert.Equal([run.HangfireJobId!], QueuedRunJobs()); // the watchdog left the claimed run alone
    }
}
