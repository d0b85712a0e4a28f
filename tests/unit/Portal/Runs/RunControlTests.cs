using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Runs;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Tests.Unit.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Runs;

[Collection(HangfireGlobalState.Name)]
public sealed class RunControlTests : IDisposable
{
    private static readonly Actor Operator = new("operator@test", "127.0.0.1");
    private readonly RunHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>Makes the host's job "run" until the returned gate is opened; the first task completes when it is followed.</summary>
    private (TaskCompletionSource Following, TaskCompletionSource Gate) Hold(ManagedHost host)
    {
        var following = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _harness.Agents.For(host.Id).OnFollow = async (_, token) =>
        {
            following.TrySetResult();
            await gate.Task.WaitAsync(token);
        };
        return (following, gate);
    }

    private async Task<RunState> StateAsync(Guid runId) => (await _harness.Database.GetRunAsync(runId)).State;

    [Fact]
    public async Task PauseAsync_StartsNoNewHostUntilResumed_WhenRunIsRunning()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2"], p => p.BatchSize = 1);
        var (following, gate) = Hold(hosts[0]);
        var execution = _harness.ExecuteAsync(run.Id);
        await following.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var paused = await _harness.Control().PauseAsync(run.Id, Operator, CancellationToken.None);
        gate.SetResult();
        await RunHarness.UntilAsync(async () => await StateAsync(run.Id) == RunState.Paused
            && (await _harness.Database.HostRunsAsync(run.Id))[0].State == HostRunState.Succeeded, "the run to pause after web-1");

        Assert.True(paused.Succeeded);
        Assert.Equal(HostRunState.Pending, (await _harness.Database.HostRunsAsync(run.Id))[1].State);
        Assert.Empty(_harness.CallsTo(hosts[1]));

        var resumed = await _harness.Control().ResumeAsync(run.Id, Operator, CancellationToken.None);
        await execution;

        Assert.True(resumed.Succeeded);
        Assert.Equal(RunState.Succeeded, await StateAsync(run.Id));
        Assert.Single(await _harness.Database.AuditAsync(AuditActions.RunPaused));
        Assert.Single(await _harness.Database.AuditAsync(AuditActions.RunResumed));
    }

    [Fact]
    public async Task PauseAsync_LetsRunEnd_WhenLastHostFinishesWhilePaused()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        var (following, gate) = Hold(hosts[0]);
        var execution = _harness.ExecuteAsync(run.Id);
        await following.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await _harness.Control().PauseAsync(run.Id, Operator, CancellationToken.None);
        gate.SetResult();
        await execution;

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal((RunState.Succeeded, null, false), (done.State, done.StateReason, done.PauseRequested));
    }

    [Fact]
    public async Task PauseAsync_IsRefusedAndAudited_WhenRunHasNotStarted()
    {
        var (_, run, _) = await _harness.ScheduledRunAsync(["web-1"]);

        var result = await _harness.Control().PauseAsync(run.Id, Operator, CancellationToken.None);

        Assert.Equal((false, "Only a running run can be paused."), (result.Succeeded, result.Message));
        Assert.False(Assert.Single(await _harness.Database.AuditAsync(AuditActions.RunPaused)).Succeeded);
    }

    [Fact]
    public async Task CancelAsync_LetsRunningHostFinishAndSkipsOthers_WhenRunIsUnderWay()
    {
        var (plan, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2", "web-3"], p => p.BatchSize = 1);
        var (following, gate) = Hold(hosts[0]);
        var execution = _harness.ExecuteAsync(run.Id);
        await following.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var result = await _harness.Control().CancelAsync(run.Id, "change freeze announced", Operator, CancellationToken.None);
        gate.SetResult();
        await execution;

        Assert.True(result.Succeeded);
        var done = await _harness.Database.GetRunAsync(run.Id);
        const string Reason = "Cancelled by operator@test: change freeze announced";
        Assert.Equal((RunState.Cancelled, Reason, "operator@test"), (done.State, done.StateReason, done.CancelledBy));
        var states = await _harness.Database.HostRunsAsync(run.Id);
        Assert.Equal([HostRunState.Succeeded, HostRunState.Skipped, HostRunState.Skipped], states.Select(h => h.State));
        Assert.Equal(Reason, states[2].Message);
        Assert.DoesNotContain(_harness.Agents.Calls, c => c.Call.StartsWith("cancel", StringComparison.Ordinal));
        Assert.Equal(PlanState.Cancelled, (await _harness.Database.GetPlanAsync(plan.Id)).State);
        Assert.Contains("change freeze announced", Assert.Single(await _harness.Database.AuditAsync(AuditActions.RunCancelled)).AfterJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelAsync_IsRefused_WhenReasonIsEmpty()
    {
        var (_, run, _) = await _harness.ScheduledRunAsync(["web-1"]);

        var result = await _harness.Control().CancelAsync(run.Id, "   ", Operator, CancellationToken.None);

        Assert.Equal((false, "Say why the run is cancelled."), (result.Succeeded, result.Message));
        Assert.Equal(RunState.Scheduled, await StateAsync(run.Id));
    }

    [Fact]
    public async Task CancelAsync_EndsRunAndDeletesItsJob_WhenRunHasNotStarted()
    {
        var (plan, run, _) = await _harness.ScheduledRunAsync(["web-1"]);

        var result = await _harness.Control().CancelAsync(run.Id, "postponed", Operator, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal(RunState.Cancelled, await StateAsync(run.Id));
        using var connection = _harness.Storage.GetConnection();
        Assert.Equal(DeletedState.StateName, connection.GetJobData(run.HangfireJobId!)!.State);
        Assert.Equal(PlanState.Cancelled, (await _harness.Database.GetPlanAsync(plan.Id)).State);
    }

    [Fact]
    public async Task RetryFailedAsync_RunsFailedHostsAgain_WhenRunEndedPartiallyFailed()
    {
        var (plan, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2"], p => p.MaxFailures = 1);
        var script = _harness.Agents.For(hosts[1].Id);
        script.Job = AgentCallResult.Ok(ScriptedAgentClient.Finished("job-1", JobStatuses.Failed));
        await _harness.ExecuteAsync(run.Id);
        Assert.Equal(RunState.PartiallyFailed, await StateAsync(run.Id));
        script.Job = AgentCallResult.Ok(ScriptedAgentClient.Finished("job-1", JobStatuses.Completed));

        var result = await _harness.Control().RetryFailedAsync(run.Id, Operator, CancellationToken.None);

        Assert.Equal((true, "1 host goes again."), (result.Succeeded, result.Message));
        Assert.Equal(RunState.Running, await StateAsync(run.Id));
        Assert.Equal(PlanState.Running, (await _harness.Database.GetPlanAsync(plan.Id)).State);
        var reopened = await _harness.Database.GetRunAsync(run.Id);
        Assert.Single(_harness.Storage.GetMonitoringApi().EnqueuedJobs(RunsOptions.Queue, 0, 10), j => j.Key == reopened.HangfireJobId);

        await _harness.ExecuteAsync(run.Id);

        Assert.Equal(RunState.Succeeded, await StateAsync(run.Id));
        Assert.Equal(PlanState.Succeeded, (await _harness.Database.GetPlanAsync(plan.Id)).State);
        Assert.Equal(1, _harness.CallsTo(hosts[0]).Count(c => c == "apply"));
        Assert.Equal(2, _harness.CallsTo(hosts[1]).Count(c => c == "apply"));
    }

    [Fact]
    public async Task RetryFailedAsync_IsRefused_WhenCutoffHasPassed()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        _harness.Agents.For(hosts[0].Id).Job = AgentCallResult.Ok(ScriptedAgentClient.Finished("job-1", JobStatuses.Failed));
        await _harness.ExecuteAsync(run.Id);
        _harness.Time.Advance(TimeSpan.FromHours(2));

        var result = await _harness.Control().RetryFailedAsync(run.Id, Operator, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.StartsWith("The window's cutoff (2026-11-29 02:30 UTC) has passed", result.Message, StringComparison.Ordinal);
        Assert.Equal(HostRunState.Failed, Assert.Single(await _harness.Database.HostRunsAsync(run.Id)).State);
    }

    [Fact]
    public async Task RollBackHostAsync_RollsBackThroughAgentAndMarksHostRolledBack_WhenRollbackCompletes()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        await _harness.ExecuteAsync(run.Id);
        var record = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        var script = _harness.Agents.For(hosts[0].Id);
        script.Job = AgentCallResult.Ok(ScriptedAgentClient.Finished("rollback-1", JobStatuses.Completed, [new PackageChange("openssl", "3.5.1-1+deb13u1", "3.5.1-1")]));

        var result = await _harness.Control().RollBackHostAsync(run.Id, record.Id, Operator, CancellationToken.None);
        var queued = Assert.Single(_harness.Storage.GetMonitoringApi().EnqueuedJobs(RunsOptions.Queue, 0, 10), j => j.Value.Job.Type == typeof(HostRollbackJob));
        await new HostRollbackJob(_harness.Database, _harness.Agents, _harness.Events, _harness.Inventory,
            Microsoft.Extensions.Options.Options.Create(_harness.Options), _harness.Time,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<HostRollbackJob>.Instance).FollowAsync((long)queued.Value.Job.Args[0], CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Contains("rollback job-1", _harness.CallsTo(hosts[0]));
        var rolledBack = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        Assert.Equal((HostRunState.RolledBack, "rollback-1", "Rolled back: openssl 3.5.1-1+deb13u1 → 3.5.1-1"),
            (rolledBack.State, rolledBack.RollbackJobId, rolledBack.Message));
        Assert.True(Assert.Single(await _harness.Database.AuditAsync(AuditActions.RunHostRolledBack)).Succeeded);
    }

    [Fact]
    public async Task RollBackHostAsync_IsRefused_WhenRollbackWasAlreadyRequested()
    {
        var (_, run, _) = await _harness.ScheduledRunAsync(["web-1"]);
        await _harness.ExecuteAsync(run.Id);
        var record = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        await _harness.Control().RollBackHostAsync(run.Id, record.Id, Operator, CancellationToken.None);

        var second = await _harness.Control().RollBackHostAsync(run.Id, record.Id, Operator, CancellationToken.None);

        Assert.Equal((false, "A rollback of web-1 was already requested."), (second.Succeeded, second.Message));
    }

    [Fact]
    public async Task RollBackHostAsync_IsRefusedWithAgentsReason_WhenAgentHasNothingToUndo()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        await _harness.ExecuteAsync(run.Id);
        var record = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        _harness.Agents.For(hosts[0].Id).Rollback = AgentCallResult.Fail<JobAccepted>(
            new AgentFailure(AgentFailureKind.AgentError, "JOB_CONFLICT: the job changed no package", "JOB_CONFLICT"));

        var result = await _harness.Control().RollBackHostAsync(run.Id, record.Id, Operator, CancellationToken.None);

        Assert.Equal((false, "web-1: the agent has nothing to roll back (JOB_CONFLICT: the job changed no package)."), (result.Succeeded, result.Message));
        Assert.Null(Assert.Single(await _harness.Database.HostRunsAsync(run.Id)).RollbackJobId);
    }

    [Fact]
    public async Task RollBackHostAsync_IsRefused_WhenHostWasSkipped()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        _harness.Blackouts.Add(hosts[0].Id, "freeze", RunHarness.Start.AddHours(-1), RunHarness.Start.AddHours(5));
        await _harness.ExecuteAsync(run.Id);
        var record = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));

        var result = await _harness.Control().RollBackHostAsync(run.Id, record.Id, Operator, CancellationToken.None);

        Assert.Equal((false, "web-1 has no finished patch job to roll back (Skipped)."), (result.Succeeded, result.Message));
    }
}
