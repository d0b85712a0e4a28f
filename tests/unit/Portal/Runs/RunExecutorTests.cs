using Microsoft.EntityFrameworkCore;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Runs;
using PatchPortal.Tests.Unit.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Runs;

[Collection(HangfireGlobalState.Name)]
public sealed class RunExecutorTests : IDisposable
{
    private static readonly AgentFailure Unreachable = new(AgentFailureKind.Unreachable, "connection refused");
    private readonly RunHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private void JobEnds(ManagedHost host, string status, bool requiresReboot = false, IReadOnlyList<PackageChange>? changes = null)
    {
        var detail = ScriptedAgentClient.Finished("job-" + host.Name, status, changes) with { RequiresReboot = requiresReboot, Error = status == JobStatuses.Failed ? "dpkg exited 1" : null };
        var script = _harness.Agents.For(host.Id);
        script.Apply = AgentCallResult.Ok(ScriptedAgentClient.Accepted("job-" + host.Name, JobOperations.PatchApply));
        script.Job = AgentCallResult.Ok(detail);
    }

    [Fact]
    public async Task ExecuteAsync_PatchesEveryHostAndSucceeds_WhenAgentsComplete()
    {
        var (plan, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2"]);
        JobEnds(hosts[0], JobStatuses.Completed, changes: [new PackageChange("openssl", "3.5.1-1", "3.5.1-1+deb13u1")]);

        await _harness.ExecuteAsync(run.Id);

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal((RunState.Succeeded, null, RunHarness.Start), (done.State, done.StateReason, done.StartedAt));
        Assert.All(done.Hosts, h => Assert.Equal((HostRunState.Succeeded, 1, 100, "6.12.0-1-amd64"), (h.State, h.Attempts, h.ProgressPercent, h.KernelAfter)));
        var web1 = RunHarness.Host(done.Hosts, "web-1");
        Assert.Equal("job-web-1", web1.AgentJobId);
        Assert.Equal(("openssl", "3.5.1-1", "3.5.1-1+deb13u1"), (web1.Changes[0].Package, web1.Changes[0].From, web1.Changes[0].To));
        Assert.Equal(PlanState.Succeeded, (await _harness.Database.GetPlanAsync(plan.Id)).State);
    }

    [Fact]
    public async Task ExecuteAsync_AuditsStartAndFinishAndWritesPlanTimeline_WhenRunEnds()
    {
        var (plan, run, _) = await _harness.ScheduledRunAsync(["web-1"]);

        await _harness.ExecuteAsync(run.Id);

        Assert.Single(await _harness.Database.AuditAsync(AuditActions.RunStarted));
        var finished = Assert.Single(await _harness.Database.AuditAsync(AuditActions.RunFinished));
        Assert.Contains("\"state\":\"Succeeded\"", finished.AfterJson, StringComparison.Ordinal);
        var timeline = await _harness.Database.PlanEventsAsync(plan.Id);
        Assert.Equal([RunScheduler.ScheduledEvent, RunExecutor.StartedEvent, RunExecutor.FinishedEvent], timeline.Select(e => e.Kind));
        Assert.Equal((PlanState.Running, PlanState.Succeeded), (timeline[2].FromState, timeline[2].ToState));
    }

    [Fact]
    public async Task ExecuteAsync_RefreshesInventoryOfTouchedHosts_WhenRunEnds()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2"]);
        _harness.Agents.For(hosts[1].Id).Apply = AgentCallResult.Fail<JobAccepted>(new AgentFailure(AgentFailureKind.AgentError, "bad", "INVALID_REQUEST"));

        await _harness.ExecuteAsync(run.Id);

        Assert.Equal([hosts[0].Id], _harness.Inventory.Hosts);
    }

    [Fact]
    public async Task ExecuteAsync_PassesExactExclusionsToAgent_WhenPlanExcludesAGlob()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"], p =>
        {
            p.Scope = PlanPackageScope.SecurityOnly;
            p.ExcludedPackages = ["linux-image-*"];
        });
        // The agent accepts exact names only: the glob is expanded against the host's pending updates.
        _harness.Agents.For(hosts[0].Id).Patches = AgentCallResult.Ok<IReadOnlyList<PatchDto>>(
        [
            ScriptedAgentClient.Patch("linux-image-6.12.0-1-amd64", "6.12.0-1", "6.12.0-2", security: true),
            ScriptedAgentClient.Patch("openssl", "3.5.1-1", "3.5.1-1+deb13u1", security: true),
        ]);
        PatchSelection? seen = null;
        var agents = new SelectionRecorder(_harness.Agents, s => seen = s);
        var executor = new RunExecutor(_harness.Database,
            new HostPatcher(_harness.Database, agents, _harness.Events, Microsoft.Extensions.Options.Options.Create(_harness.Options), _harness.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<HostPatcher>.Instance),
            _harness.Lease(), _harness.Signals, _harness.Events, _harness.Blackouts, _harness.Inventory, _harness.Scheduler(),
            new AuditLog(_harness.Database, _harness.Time), Microsoft.Extensions.Options.Options.Create(_harness.Options), _harness.Time,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<RunExecutor>.Instance);

        await _harness.ExecuteAsync(run.Id, executor: executor);

        Assert.NotNull(seen);
        Assert.Equal((true, 0, "linux-image-6.12.0-1-amd64"), (seen.SecurityOnly, seen.Packages.Count, Assert.Single(seen.ExcludePackages)));
    }

    [Fact]
    public async Task ExecuteAsync_SucceedsWithoutAskingTheAgent_WhenNothingNamedIsPendingOnTheHost()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"], p =>
        {
            p.Scope = PlanPackageScope.NamedPackages;
            p.Packages = ["openssl"];
        });
        _harness.Agents.For(hosts[0].Id).Patches = AgentCallResult.Ok<IReadOnlyList<PatchDto>>(
            [ScriptedAgentClient.Patch("curl", "8.14.1-1", "8.14.1-2", security: false)]);

        await _harness.ExecuteAsync(run.Id);

        var host = Assert.Single((await _harness.Database.GetRunAsync(run.Id)).Hosts);
        Assert.Equal((HostRunState.Succeeded, "Nothing the plan names is pending on this host"), (host.State, host.Message));
        Assert.DoesNotContain(_harness.Agents.Calls, c => c.Call == "apply");
    }

    [Fact]
    public async Task ExecuteAsync_AppliesOnlyTheNamedPendingPackages_WhenPlanNamesPackages()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"], p =>
        {
            p.Scope = PlanPackageScope.NamedPackages;
            p.Packages = ["openssl", "bash"];
        });
        _harness.Agents.For(hosts[0].Id).Patches = AgentCallResult.Ok<IReadOnlyList<PatchDto>>(
            [ScriptedAgentClient.Patch("openssl", "3.5.1-1", "3.5.1-1+deb13u1", security: true)]);

        await _harness.ExecuteAsync(run.Id);

        var (_, selection) = Assert.Single(_harness.Agents.Selections);
        Assert.Equal(["openssl"], selection.Packages);
    }

    [Fact]
    public async Task ExecuteAsync_RecordsAgentJobIdBeforeFollowingIt_WhenJobStarts()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        JobEnds(hosts[0], JobStatuses.Completed);
        string? recordedWhileFollowing = null;
        _harness.Agents.For(hosts[0].Id).OnFollow = async (_, _) =>
            recordedWhileFollowing = (await _harness.Database.HostRunsAsync(run.Id))[0].AgentJobId;

        await _harness.ExecuteAsync(run.Id);

        Assert.Equal("job-web-1", recordedWhileFollowing);
    }

    [Fact]
    public async Task ExecuteAsync_FollowsRecordedJobWithoutApplyingAgain_WhenResumedAfterRestart()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        await StartedEarlierAsync(run, hosts[0], h =>
        {
            h.State = HostRunState.Patching;
            h.AgentJobId = "job-web-1";
            h.Attempts = 1;
            h.StartedAt = RunHarness.Start;
        });
        JobEnds(hosts[0], JobStatuses.Completed);

        await _harness.ExecuteAsync(run.Id);

        Assert.Equal(["follow job-web-1", "system-info"], _harness.CallsTo(hosts[0]));
        var host = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        Assert.Equal((HostRunState.Succeeded, 1), (host.State, host.Attempts));
    }

    [Fact]
    public async Task ExecuteAsync_AdoptsAgentsJob_WhenPortalStoppedBetweenRequestAndRecord()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        await StartedEarlierAsync(run, hosts[0], h =>
        {
            h.State = HostRunState.Patching;
            h.Attempts = 1;
            h.StartedAt = RunHarness.Start;
        });
        var script = _harness.Agents.For(hosts[0].Id);
        script.Jobs = AgentCallResult.Ok<IReadOnlyList<JobSummary>>(
        [
            new JobSummary { JobId = "job-later", Operation = JobOperations.PatchApply, Status = JobStatuses.Pending, CreatedAt = RunHarness.Start.AddSeconds(5), UpdatedAt = RunHarness.Start },
            new JobSummary { JobId = "job-ours", Operation = JobOperations.PatchApply, Status = JobStatuses.Running, CreatedAt = RunHarness.Start.AddSeconds(1), UpdatedAt = RunHarness.Start },
            new JobSummary { JobId = "job-last-month", Operation = JobOperations.PatchApply, Status = JobStatuses.Completed, CreatedAt = RunHarness.Start.AddDays(-30), UpdatedAt = RunHarness.Start },
        ]);

        await _harness.ExecuteAsync(run.Id);

        var calls = _harness.CallsTo(hosts[0]);
        Assert.DoesNotContain("apply", calls);
        Assert.Contains("follow job-ours", calls);
        Assert.Equal("job-ours", Assert.Single(await _harness.Database.HostRunsAsync(run.Id)).AgentJobId);
    }

    [Fact]
    public async Task ExecuteAsync_AppliesAgainUnderTheSameKey_WhenInterruptedRequestNeverReachedAgent()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        await StartedEarlierAsync(run, hosts[0], h =>
        {
            h.State = HostRunState.Patching;
            h.Attempts = 1;
            h.StartedAt = RunHarness.Start;
        });

        await _harness.ExecuteAsync(run.Id);

        Assert.Equal(["jobs patch_apply", "apply", "follow job-1", "system-info"], _harness.CallsTo(hosts[0]));
        // The same attempt sent again, not a new one: if the first request is only late (a node whose claim lapsed
        // mid-request), the agent answers it with the job this one started.
        var host = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        Assert.Equal(1, host.Attempts);
        Assert.Equal($"patchportal-run-{run.Id:N}-host-{host.Id}-attempt-1", Assert.Single(_harness.Agents.ApplyKeys).Key);
    }

    /// <summary>The checkpoint that records the agent's job id: the write a full disk refuses in the tests below.</summary>
    private static bool JobStartedCheckpoint(string sql) =>
        sql.Contains("UPDATE \"HostRuns\"", StringComparison.Ordinal) && sql.Contains("\"AgentJobId\" = ", StringComparison.Ordinal);

    [Fact]
    public async Task ExecuteAsync_FollowsTheAgentsJobWithoutApplyingAgain_WhenTheDiskIsFullAtTheJobStartedCheckpoint()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        // The disk is full for two writes: the checkpoint after the agent accepted the job, and the same checkpoint when
        // the resumed host finds the job in the agent's list.
        var full = new Data.SqliteCommandFault(JobStartedCheckpoint, times: 2) { Armed = true };
        _harness.Database.Interceptors.Add(full);
        _harness.Agents.For(hosts[0].Id).Jobs = AgentCallResult.Ok<IReadOnlyList<JobSummary>>(
        [
            new JobSummary { JobId = "job-1", Operation = JobOperations.PatchApply, Status = JobStatuses.Running, CreatedAt = RunHarness.Start.AddDays(1), UpdatedAt = RunHarness.Start },
        ]);

        await _harness.ExecuteAsync(run.Id);

        Assert.Equal(2, full.Refused);
        Assert.Equal(["apply", "jobs patch_apply", "jobs patch_apply", "follow job-1", "system-info"], _harness.CallsTo(hosts[0]));
        var host = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        Assert.Equal((HostRunState.Succeeded, 1, "job-1"), (host.State, host.Attempts, host.AgentJobId));
        Assert.Equal(RunState.Succeeded, (await _harness.Database.GetRunAsync(run.Id)).State);
    }

    [Fact]
    public async Task ExecuteAsync_SendsTheSameAttemptAgain_WhenTheDiskWasFullAndTheAgentListsNoJob()
    {
        // An agent whose job list does not show the job (an older agent, or a list cut short): the attempt is sent again
        // under its idempotency key, which a current agent answers with the job the first request started.
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        var full = new Data.SqliteCommandFault(JobStartedCheckpoint, times: 1) { Armed = true };
        _harness.Database.Interceptors.Add(full);

        await _harness.ExecuteAsync(run.Id);

        Assert.Equal(["apply", "jobs patch_apply", "apply", "follow job-1", "system-info"], _harness.CallsTo(hosts[0]));
        var keys = _harness.Agents.ApplyKeys.Select(k => k.Key).ToList();
        Assert.Equal(2, keys.Count);
        Assert.Equal(keys[0], keys[1]);
        var host = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        Assert.Equal((HostRunState.Succeeded, 1), (host.State, host.Attempts));
    }

    [Fact]
    public async Task ExecuteAsync_DoesNothing_WhenRunHasAlreadyEnded()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        await _harness.ExecuteAsync(run.Id);
        var callsAfterFirst = _harness.CallsTo(hosts[0]).Count;

        await _harness.ExecuteAsync(run.Id);

        Assert.Equal(callsAfterFirst, _harness.CallsTo(hosts[0]).Count);
    }

    [Fact]
    public async Task ExecuteAsync_LeavesRunAlone_WhenAnotherExecutorHoldsItsClaim()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        await _harness.ClaimAsync(run.Id, new PortalNode("other-machine", "node-b"));

        await _harness.ExecuteAsync(run.Id);

        Assert.Empty(_harness.CallsTo(hosts[0]));
        Assert.Equal(RunState.Scheduled, (await _harness.Database.GetRunAsync(run.Id)).State);
    }

    [Fact]
    public async Task ExecuteAsync_LeavesRunAlone_WhenAnotherExecutorInThisProcessHoldsItsClaim()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        await _harness.ClaimAsync(run.Id, _harness.Node); // e.g. Hangfire requeued the job while the watchdog started one

        await _harness.ExecuteAsync(run.Id);

        Assert.Empty(_harness.CallsTo(hosts[0]));
    }

    [Fact]
    public async Task ExecuteAsync_TakesOverRun_WhenOtherExecutorsClaimLapsed()
    {
        var (_, run, _) = await _harness.ScheduledRunAsync(["web-1"]);
        await _harness.ClaimAsync(run.Id, new PortalNode("other-machine", "node-b"));
        _harness.Time.Advance(TimeSpan.FromSeconds(_harness.Options.LeaseSeconds + 1));

        await _harness.ExecuteAsync(run.Id);

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal((RunState.Succeeded, null), (done.State, done.LeaseOwner));
    }

    [Fact]
    public async Task ExecuteAsync_PollsJob_WhenStreamIsLost()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        var script = _harness.Agents.For(hosts[0].Id);
        script.Stream = _ => [new AgentJobStreamLost(Unreachable)];
        var polls = 0;
        var running = ScriptedAgentClient.Finished("job-1", JobStatuses.Running) with { ProgressPercent = 40 };
        var completed = ScriptedAgentClient.Finished("job-1", JobStatuses.Completed);
        script.OnFollow = (_, _) =>
        {
            script.Job = AgentCallResult.Ok(running);
            return Task.CompletedTask;
        };
        var agents = new JobSequence(_harness.Agents, hosts[0].Id, () => ++polls < 3 ? running : completed);

        await _harness.ExecuteAsync(run.Id, executor: ExecutorWith(agents));

        Assert.Equal(3, polls);
        Assert.Equal(HostRunState.Succeeded, Assert.Single(await _harness.Database.HostRunsAsync(run.Id)).State);
    }

    [Fact]
    public async Task ExecuteAsync_KeepsLastOutputLines_WhenJobStreamsOutput()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        var lines = Enumerable.Range(1, HostPatcher.OutputLines + 10).Select(i => $"Unpacking package-{i} ...").ToList();
        _harness.Agents.For(hosts[0].Id).Stream = _ =>
            [.. lines.Select(l => (AgentJobEvent)new AgentJobOutput(l)), new AgentJobCompleted(ScriptedAgentClient.Finished("job-1", JobStatuses.Completed))];

        await _harness.ExecuteAsync(run.Id);

        var output = Assert.Single(await _harness.Database.HostRunsAsync(run.Id)).OutputExcerpt!.Split('\n');
        Assert.Equal(HostPatcher.OutputLines, output.Length);
        Assert.Equal(("Unpacking package-11 ...", $"Unpacking package-{lines.Count} ..."), (output[0], output[^1]));
    }

    [Fact]
    public async Task ExecuteAsync_StartsCanaryAloneFirst_WhenPlanNamesCanary()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2", "web-3"], null);
        await using (var db = _harness.Database.CreateDbContext())
        {
            var plan = await db.PatchPlans.SingleAsync();
            plan.CanaryHostIds = [hosts[2].Id];
            plan.BatchSize = 10;
            await db.SaveChangesAsync();
        }

        await _harness.ExecuteAsync(run.Id);

        var order = _harness.Agents.Calls.Where(c => c.Call == "apply" || c.Call.StartsWith("follow", StringComparison.Ordinal)).ToList();
        Assert.Equal((hosts[2].Id, "apply"), order[0]);
        Assert.Equal((hosts[2].Id, "follow job-1"), order[1]);
        var batches = await _harness.Database.HostRunsAsync(run.Id);
        Assert.Equal([1, 1, 0], batches.Select(h => h.BatchNumber));
        Assert.True(RunHarness.Host(batches, "web-3").IsCanary);
    }

    [Fact]
    public async Task ExecuteAsync_FinishesEachBatchBeforeNext_WhenBatchSizeIsOne()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2", "web-3"], p => p.BatchSize = 1);

        await _harness.ExecuteAsync(run.Id);

        var sequence = _harness.Agents.Calls.Where(c => c.Call == "apply" || c.Call == "system-info").Select(c => (c.HostId, c.Call)).ToList();
        Assert.Equal(
            [(hosts[0].Id, "apply"), (hosts[0].Id, "system-info"), (hosts[1].Id, "apply"), (hosts[1].Id, "system-info"), (hosts[2].Id, "apply"), (hosts[2].Id, "system-info")],
            sequence);
        Assert.Equal(2, (await _harness.Database.GetRunAsync(run.Id)).CurrentBatch);
    }

    [Fact]
    public async Task ExecuteAsync_RunsAtMostConfiguredHostsAtOnce_WhenBatchIsLarger()
    {
        _harness.Options.MaxConcurrentHosts = 2;
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2", "web-3", "web-4", "web-5"], p => p.BatchSize = 5);
        var current = 0;
        var most = 0;
        var entered = 0;
        var bothInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var host in hosts)
        {
            _harness.Agents.For(host.Id).OnFollow = async (_, token) =>
            {
                InterlockedMax(ref most, Interlocked.Increment(ref current));
                var order = Interlocked.Increment(ref entered);
                if (order <= 2)
                {
                    // The first two hold their slots until both are in: a third host may only start after one ends.
                    if (order == 2)
                    {
                        bothInside.TrySetResult();
                    }

                    await bothInside.Task.WaitAsync(TimeSpan.FromSeconds(30), token);
                }

                Interlocked.Decrement(ref current);
            };
        }

        await _harness.ExecuteAsync(run.Id);

        Assert.Equal(2, most);
        Assert.All(await _harness.Database.HostRunsAsync(run.Id), h => Assert.Equal(HostRunState.Succeeded, h.State));
    }

    [Fact]
    public async Task ExecuteAsync_HaltsAndSkipsRemainingHosts_WhenFailuresPassLimit()
    {
        var (plan, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2", "web-3", "web-4"], p =>
        {
            p.BatchSize = 1;
            p.MaxFailures = 1;
        });
        JobEnds(hosts[0], JobStatuses.Failed);
        JobEnds(hosts[1], JobStatuses.Failed);

        await _harness.ExecuteAsync(run.Id);

        var done = await _harness.Database.GetRunAsync(run.Id);
        const string Reason = "Halted: 2 hosts failed, more than the plan allows (1).";
        Assert.Equal((RunState.Failed, Reason), (done.State, done.StateReason));
        var states = await _harness.Database.HostRunsAsync(run.Id);
        Assert.Equal([HostRunState.Failed, HostRunState.Failed, HostRunState.Skipped, HostRunState.Skipped], states.Select(h => h.State));
        Assert.Equal(Reason, states[3].Message);
        Assert.Equal("dpkg exited 1", states[0].Error);
        Assert.Empty(_harness.CallsTo(hosts[2]));
        Assert.Equal(PlanState.Failed, (await _harness.Database.GetPlanAsync(plan.Id)).State);
    }

    [Fact]
    public async Task ExecuteAsync_EndsPartiallyFailed_WhenFailuresStayWithinPercentLimit()
    {
        var (plan, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2", "web-3", "web-4"], p =>
        {
            p.BatchSize = 1;
            p.MaxFailures = 25;
            p.MaxFailuresIsPercent = true;
        });
        JobEnds(hosts[1], JobStatuses.Failed);

        await _harness.ExecuteAsync(run.Id);

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal((RunState.PartiallyFailed, "1 failed of 4 hosts."), (done.State, done.StateReason));
        Assert.Equal(3, done.Hosts.Count(h => h.State == HostRunState.Succeeded));
        Assert.Equal(PlanState.PartiallyFailed, (await _harness.Database.GetPlanAsync(plan.Id)).State);
    }

    [Fact]
    public async Task ExecuteAsync_HaltsBeforeOtherHosts_WhenCanaryFails()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2", "web-3"], null);
        await using (var db = _harness.Database.CreateDbContext())
        {
            var plan = await db.PatchPlans.SingleAsync();
            plan.CanaryHostIds = [hosts[0].Id];
            plan.MaxFailures = 50;
            await db.SaveChangesAsync();
        }

        JobEnds(hosts[0], JobStatuses.Failed);

        await _harness.ExecuteAsync(run.Id);

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal((RunState.Failed, "Halted: canary host web-1 failed."), (done.State, done.StateReason));
        Assert.Empty(_harness.CallsTo(hosts[1]));
        Assert.Empty(_harness.CallsTo(hosts[2]));
    }

    [Fact]
    public async Task ExecuteAsync_RetriesWithBackOffUntilAgentAnswers_WhenFailuresAreTransient()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        var attempts = 0;
        var times = new List<DateTimeOffset>();
        var agents = new ApplySequence(_harness.Agents, hosts[0].Id, () =>
        {
            times.Add(_harness.Time.GetUtcNow());
            return ++attempts < 3
                ? AgentCallResult.Fail<JobAccepted>(Unreachable)
                : AgentCallResult.Ok(ScriptedAgentClient.Accepted("job-1", JobOperations.PatchApply));
        });

        await _harness.ExecuteAsync(run.Id, step: TimeSpan.FromMilliseconds(100), executor: ExecutorWith(agents));

        var host = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        Assert.Equal((HostRunState.Succeeded, 3, null), (host.State, host.Attempts, host.Error));
        // 10 s, then 20 s; the fake clock also moves on while the engine writes its checkpoints, hence the slack.
        Assert.InRange((times[1] - times[0]).TotalSeconds, 10, 15);
        Assert.InRange((times[2] - times[1]).TotalSeconds, 20, 25);
    }

    [Fact]
    public async Task ExecuteAsync_MarksHostMissed_WhenItStaysUnreachableUntilCutoff()
    {
        var window = await _harness.WindowAsync(duration: TimeSpan.FromMinutes(3), cutoff: TimeSpan.FromMinutes(2)); // one minute to start hosts
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2"], window: window);
        _harness.Agents.For(hosts[0].Id).FailWith(Unreachable);

        await _harness.ExecuteAsync(run.Id, step: TimeSpan.FromSeconds(1));

        var done = await _harness.Database.GetRunAsync(run.Id);
        var missed = RunHarness.Host(done.Hosts, "web-1");
        // Attempts at 0 s, 10 s and 30 s; the next (70 s) would be after the cutoff at 60 s.
        Assert.Equal((HostRunState.Missed, 3, "connection refused"), (missed.State, missed.Attempts, missed.Error));
        Assert.Equal("Unreachable through the window after 3 attempts", missed.Message);
        Assert.Equal(RunState.PartiallyFailed, done.State);
    }

    [Fact]
    public async Task ExecuteAsync_FailsHostAtOnce_WhenAgentRefusesPermanently()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        _harness.Agents.For(hosts[0].Id).Apply = AgentCallResult.Fail<JobAccepted>(
            new AgentFailure(AgentFailureKind.CertificateRejected, "TLS handshake failed"));

        await _harness.ExecuteAsync(run.Id);

        var host = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        Assert.Equal((HostRunState.Failed, 1, "TLS handshake failed"), (host.State, host.Attempts, host.Error));
    }

    [Fact]
    public async Task ExecuteAsync_SkipsEveryHost_WhenRunStartsAfterCutoff()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2"]);
        _harness.Time.Advance(TimeSpan.FromMinutes(95)); // the cutoff is 90 minutes after the start

        await _harness.ExecuteAsync(run.Id);

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal(RunState.Failed, done.State);
        Assert.StartsWith("Cutoff reached at 2026-11-29 02:30 UTC", done.StateReason, StringComparison.Ordinal);
        Assert.All(done.Hosts, h => Assert.Equal(HostRunState.Skipped, h.State));
        Assert.Empty(_harness.Agents.Calls);
    }

    [Fact]
    public async Task ExecuteAsync_SkipsHostWithReason_WhenBlackoutCoversIt()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2"]);
        _harness.Blackouts.Add(hosts[1].Id, "Year-end freeze", RunHarness.Start.AddHours(-1), RunHarness.Start.AddDays(3));

        await _harness.ExecuteAsync(run.Id);

        var done = await _harness.Database.GetRunAsync(run.Id);
        var skipped = RunHarness.Host(done.Hosts, "web-2");
        Assert.Equal((HostRunState.Skipped, "Blackout 'Year-end freeze' until 2026-12-02 01:00 UTC"), (skipped.State, skipped.Message));
        Assert.Equal(HostRunState.Succeeded, RunHarness.Host(done.Hosts, "web-1").State);
        Assert.Empty(_harness.CallsTo(hosts[1]));
        Assert.Equal(RunState.PartiallyFailed, done.State);
    }

    [Fact]
    public async Task ExecuteAsync_FailsHostWithReason_WhenJobOutlastsHostTimeout()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"], p => p.HostTimeoutMinutes = 1);
        var script = _harness.Agents.For(hosts[0].Id);
        script.Job = AgentCallResult.Ok(ScriptedAgentClient.Finished("job-1", JobStatuses.Running));
        script.OnFollow = (_, token) => Task.Delay(Timeout.Infinite, token);

        await _harness.ExecuteAsync(run.Id, step: TimeSpan.FromSeconds(1));

        var host = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        Assert.Equal((HostRunState.Failed, "No result within the host timeout of 1 minutes."), (host.State, host.Error));
        Assert.Contains("cancel job-1", _harness.CallsTo(hosts[0]));
    }

    [Fact]
    public async Task ExecuteAsync_RebootsWaitsAndRecordsKernel_WhenJobSaysRebootRequired()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"], p => p.RebootPolicy = RebootPolicy.IfRequired);
        JobEnds(hosts[0], JobStatuses.Completed, requiresReboot: true);
        var script = _harness.Agents.For(hosts[0].Id);
        script.SystemInfo = AgentCallResult.Ok(ScriptedAgentClient.Info() with { UptimeSeconds = 86400, Kernel = new KernelInfo("6.12.0-1-amd64", "x86_64") });
        script.OnFollow = null;
        var agents = new RebootingAgent(_harness.Agents, hosts[0].Id, _harness.Time, downFor: TimeSpan.FromSeconds(20), newKernel: "6.12.9-1-amd64");

        await _harness.ExecuteAsync(run.Id, executor: ExecutorWith(agents));

        var host = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        Assert.Equal((HostRunState.Succeeded, "6.12.9-1-amd64", "reboot-1"), (host.State, host.KernelAfter, host.RebootJobId));
        Assert.InRange(host.RebootedAt!.Value, RunHarness.Start, RunHarness.Start.AddSeconds(10));
        Assert.Equal("Rebooted; running kernel 6.12.9-1-amd64", host.Message);
    }

    [Fact]
    public async Task ExecuteAsync_Reboots_WhenHealthSaysRebootRequiredAndPolicyIsIfRequired()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"], p => p.RebootPolicy = RebootPolicy.IfRequired);
        _harness.Agents.For(hosts[0].Id).Health = AgentCallResult.Ok(ScriptedAgentClient.Healthy(rebootRequired: true));

        await _harness.ExecuteAsync(run.Id);

        Assert.Contains("reboot", _harness.CallsTo(hosts[0]));
    }

    [Fact]
    public async Task ExecuteAsync_DoesNotReboot_WhenPolicyIsNeverThoughRebootIsRequired()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"], p => p.RebootPolicy = RebootPolicy.Never);
        JobEnds(hosts[0], JobStatuses.Completed, requiresReboot: true);

        await _harness.ExecuteAsync(run.Id);

        Assert.DoesNotContain("reboot", _harness.CallsTo(hosts[0]));
        Assert.Equal(HostRunState.Succeeded, Assert.Single(await _harness.Database.HostRunsAsync(run.Id)).State);
    }

    [Fact]
    public async Task ExecuteAsync_Reboots_WhenPolicyIsAlwaysThoughNothingRequiresIt()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"], p => p.RebootPolicy = RebootPolicy.Always);

        await _harness.ExecuteAsync(run.Id);

        Assert.Contains("reboot", _harness.CallsTo(hosts[0]));
        Assert.Equal(HostRunState.Succeeded, Assert.Single(await _harness.Database.HostRunsAsync(run.Id)).State);
    }

    [Fact]
    public async Task ExecuteAsync_FailsHostWithReason_WhenItDoesNotReturnFromRebootInTime()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"], p =>
        {
            p.RebootPolicy = RebootPolicy.Always;
            p.HostTimeoutMinutes = 2;
        });
        var agents = new RebootingAgent(_harness.Agents, hosts[0].Id, _harness.Time, downFor: TimeSpan.FromHours(1), newKernel: "6.12.9-1-amd64");

        await _harness.ExecuteAsync(run.Id, step: TimeSpan.FromSeconds(1), executor: ExecutorWith(agents));

        var host = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        Assert.Equal((HostRunState.Failed, "Did not come back within the host timeout of 2 minutes after the reboot."), (host.State, host.Error));
    }

    [Fact]
    public async Task ExecuteAsync_FailsHost_WhenItReturnsUnhealthyFromReboot()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"], p => p.RebootPolicy = RebootPolicy.Always);
        var agents = new RebootingAgent(_harness.Agents, hosts[0].Id, _harness.Time, downFor: TimeSpan.FromSeconds(10), newKernel: "6.12.9-1-amd64");
        agents.HealthAfter = ScriptedAgentClient.Healthy() with
        {
            Status = "unhealthy",
            Checks = new Dictionary<string, HealthCheckResult> { ["package_manager"] = new("error", "dpkg was interrupted") },
        };

        await _harness.ExecuteAsync(run.Id, executor: ExecutorWith(agents));

        var host = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        Assert.Equal((HostRunState.Failed, "Came back after the reboot but is not healthy (package_manager: dpkg was interrupted)."), (host.State, host.Error));
    }

    [Fact]
    public async Task ExecuteAsync_SchedulesNextOccurrence_WhenPlanRunsEveryOccurrence()
    {
        var window = await _harness.WindowAsync();
        _harness.Schedule.Add(window, RunHarness.Start.AddDays(7), TimeSpan.FromHours(2), TimeSpan.FromMinutes(30));
        var (plan, run, _) = await _harness.ScheduledRunAsync(["web-1"], p => p.Timing = PlanTiming.EveryOccurrence, window);

        await _harness.ExecuteAsync(run.Id);

        var runs = await _harness.Database.RunsOfAsync(plan.Id);
        Assert.Equal([(RunState.Succeeded, RunHarness.Start), (RunState.Scheduled, RunHarness.Start.AddDays(7))], runs.Select(r => (r.State, r.OccurrenceStart)));
        Assert.Equal(PlanState.Scheduled, (await _harness.Database.GetPlanAsync(plan.Id)).State);
    }

    [Fact]
    public async Task ExecuteAsync_EndsPlan_WhenEveryOccurrenceWindowHasNoFurtherOccurrence()
    {
        var (plan, run, _) = await _harness.ScheduledRunAsync(["web-1"], p => p.Timing = PlanTiming.EveryOccurrence);

        await _harness.ExecuteAsync(run.Id);

        Assert.Single(await _harness.Database.RunsOfAsync(plan.Id));
        Assert.Equal(PlanState.Succeeded, (await _harness.Database.GetPlanAsync(plan.Id)).State);
    }

    [Fact]
    public async Task ExecuteAsync_CancelsRunWithoutTouchingHosts_WhenPlanWasCancelledBeforeStart()
    {
        var (plan, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        await using (var db = _harness.Database.CreateDbContext())
        {
            var tracked = await db.PatchPlans.SingleAsync(p => p.Id == plan.Id);
            tracked.TransitionTo(PlanState.Cancelled);
            await db.SaveChangesAsync();
        }

        await _harness.ExecuteAsync(run.Id);

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal((RunState.Cancelled, "The plan is Cancelled; the run did not start."), (done.State, done.StateReason));
        Assert.Empty(_harness.CallsTo(hosts[0]));
    }

    [Fact]
    public async Task ExecuteAsync_EndsFailedWithReason_WhenNoHostMatchesTargets()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1"]);
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Hosts.Where(h => h.Id == hosts[0].Id).ExecuteDeleteAsync();
        }

        await _harness.ExecuteAsync(run.Id);

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal((RunState.Failed, "No host matched the plan's targets."), (done.State, done.StateReason));
    }

    [Fact]
    public async Task ExecuteAsync_PublishesHostTransitions_WhenHostsProgress()
    {
        var (_, run, _) = await _harness.ScheduledRunAsync(["web-1"]);
        var changes = new List<RunChanged>();
        using var subscription = _harness.Events.Subscribe(c =>
        {
            lock (changes)
            {
                changes.Add(c);
            }
        });

        await _harness.ExecuteAsync(run.Id);

        var host = Assert.Single(await _harness.Database.HostRunsAsync(run.Id));
        lock (changes)
        {
            Assert.All(changes, c => Assert.Equal(run.Id, c.RunId));
            Assert.True(changes.Count(c => c.HostRunId == host.Id) >= 3); // patching, job started, succeeded
            Assert.Contains(changes, c => c.HostRunId is null);
        }
    }

    private async Task StartedEarlierAsync(PatchRun run, ManagedHost host, Action<HostRun> state)
    {
        await using var db = _harness.Database.CreateDbContext();
        var tracked = await db.PatchRuns.SingleAsync(r => r.Id == run.Id);
        tracked.State = RunState.Running;
        tracked.StartedAt = RunHarness.Start;
        var plan = await db.PatchPlans.SingleAsync(p => p.Id == run.PlanId);
        plan.TransitionTo(PlanState.Running);
        var record = new HostRun { RunId = run.Id, HostId = host.Id, HostName = host.Name };
        state(record);
        db.HostRuns.Add(record);
        await db.SaveChangesAsync();
    }

    private RunExecutor ExecutorWith(IAgentClient agents) => new(
        _harness.Database,
        new HostPatcher(_harness.Database, agents, _harness.Events, Microsoft.Extensions.Options.Options.Create(_harness.Options), _harness.Time,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<HostPatcher>.Instance),
        _harness.Lease(), _harness.Signals, _harness.Events, _harness.Blackouts, _harness.Inventory, _harness.Scheduler(),
        new AuditLog(_harness.Database, _harness.Time), Microsoft.Extensions.Options.Options.Create(_harness.Options), _harness.Time,
        Microsoft.Extensions.Logging.Abstractions.NullLogger<RunExecutor>.Instance);

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
