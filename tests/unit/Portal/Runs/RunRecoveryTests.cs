using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Runs;
using PatchPortal.Tests.Unit.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Runs;

/// <summary>What keeps a run going across portal restarts: claims, the watchdog, and resuming without patching twice.</summary>
[Collection(HangfireGlobalState.Name)]
public sealed class RunRecoveryTests : IDisposable
{
    private readonly RunHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private RunWatchdog Watchdog() => new(_harness.Database, _harness.Jobs, _harness.Storage, _harness.Time, NullLogger<RunWatchdog>.Instance);

    /// <summary>The run is under way and its executor's Hangfire job no longer waits in a queue (it ran and stopped).</summary>
    private async Task MarkRunningAsync(Guid runId)
    {
        await using var db = _harness.Database.CreateDbContext();
        var run = await db.PatchRuns.SingleAsync(r => r.Id == runId);
        run.State = RunState.Running;
        _harness.Jobs.ChangeState(run.HangfireJobId!, new DeletedState(), null);
        await db.SaveChangesAsync();
    }

    private List<string> QueuedRunJobs() =>
        _harness.Storage.GetMonitoringApi().EnqueuedJobs(RunsOptions.Queue, 0, 100).Select(j => j.Key).ToList();

    [Fact]
    public async Task CheckAsync_EnqueuesExecutor_WhenRunningRunHasNoLiveClaim()
    {
        var (_, run, _) = await _harness.ScheduledRunAsync(["web-1"]);
        await MarkRunningAsync(run.Id);

        await Watchdog().CheckAsync(CancellationToken.None);

        var resumed = await _harness.Database.GetRunAsync(run.Id);
        Assert.NotEqual(run.HangfireJobId, resumed.HangfireJobId);
        Assert.Contains(resumed.HangfireJobId, QueuedRunJobs());
    }

    [Fact]
    public async Task CheckAsync_LeavesRun_WhenAnExecutorHoldsALiveClaim()
    {
        var (_, run, _) = await _harness.ScheduledRunAsync(["web-1"]);
        await MarkRunningAsync(run.Id);
        await _harness.Lease(new PortalNode("other-machine", "node-b")).TryAcquireAsync(run.Id, CancellationToken.None);

        await Watchdog().CheckAsync(CancellationToken.None);

        Assert.Equal(run.HangfireJobId, (await _harness.Database.GetRunAsync(run.Id)).HangfireJobId);
    }

    [Fact]
    public async Task CheckAsync_LeavesRun_WhenItsJobIsStillQueued()
    {
        var (_, run, _) = await _harness.ScheduledRunAsync(["web-1"]); // due now: its job is enqueued

        await Watchdog().CheckAsync(CancellationToken.None);

        Assert.Equal([run.HangfireJobId!], QueuedRunJobs());
    }

    [Fact]
    public async Task CheckAsync_EnqueuesExecutor_WhenDueRunLostItsJob()
    {
        var (_, run, _) = await _harness.ScheduledRunAsync(["web-1"]);
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.PatchRuns.Where(r => r.Id == run.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.HangfireJobId, (string?)null));
        }

        await Watchdog().CheckAsync(CancellationToken.None);

        var resumed = await _harness.Database.GetRunAsync(run.Id);
        Assert.NotNull(resumed.HangfireJobId);
        Assert.Contains(resumed.HangfireJobId, QueuedRunJobs());
    }

    [Fact]
    public async Task ReleaseStaleClaimsOfThisMachineAsync_FreesClaimsOfEarlierProcessesOnly_WhenPortalStarts()
    {
        var window = await _harness.WindowAsync();
        var (_, mine, _) = await _harness.ScheduledRunAsync(["web-1"], window: window);
        var (_, theirs, _) = await _harness.ScheduledRunAsync(["web-2"], window: window);
        await _harness.Lease(new PortalNode("portal-1", "before-restart")).TryAcquireAsync(mine.Id, CancellationToken.None);
        await _harness.Lease(new PortalNode("portal-2", "alive")).TryAcquireAsync(theirs.Id, CancellationToken.None);

        var released = await _harness.Lease(new PortalNode("portal-1", "after-restart")).ReleaseStaleClaimsOfThisMachineAsync(CancellationToken.None);

        Assert.Equal(1, released);
        Assert.Null((await _harness.Database.GetRunAsync(mine.Id)).LeaseOwner);
        Assert.Equal("portal-2/alive", (await _harness.Database.GetRunAsync(theirs.Id)).LeaseOwner);
    }

    [Fact]
    public async Task ExecuteAsync_FinishesEveryHostPatchedOnce_WhenPortalStopsMidRunAndRestarts()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2", "web-3"], p => p.BatchSize = 2);
        var following = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var host in hosts.Take(2))
        {
            _harness.Agents.For(host.Id).OnFollow = async (_, token) =>
            {
                following.TrySetResult();
                await Task.Delay(Timeout.Infinite, token); // the jobs run on while the portal is down
            };
        }

        using var shutdown = new CancellationTokenSource();
        var before = new PortalNode("portal-1", "before-restart");
        var first = _harness.Executor(before).ExecuteAsync(run.Id, shutdown.Token);
        await following.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await RunHarness.UntilAsync(async () => (await _harness.Database.HostRunsAsync(run.Id)).Count(h => h.AgentJobId is not null) == 2, "both jobs recorded");
        await shutdown.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);

        var stopped = await _harness.Database.HostRunsAsync(run.Id);
        Assert.Equal([HostRunState.Patching, HostRunState.Patching, HostRunState.Pending], stopped.Select(h => h.State));
        foreach (var host in hosts)
        {
            _harness.Agents.For(host.Id).OnFollow = null; // the agents' jobs finished meanwhile
        }

        var after = new PortalNode("portal-1", "after-restart");
        await _harness.Lease(after).ReleaseStaleClaimsOfThisMachineAsync(CancellationToken.None);
        await _harness.ExecuteAsync(run.Id, executor: _harness.Executor(after));

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.Equal(3, done.Hosts.Count);
        Assert.All(hosts, h => Assert.Equal(1, _harness.CallsTo(h).Count(c => c == "apply")));
    }
}
