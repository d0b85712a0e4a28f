using System.Text.Json;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Tests.Unit.Agent.Jobs;

public class JobManagerTests
{
    [Fact]
    public async Task Submit_PersistsPendingJob_BeforeReturning()
    {
        await using var context = new JobsTestContext(); // worker not started: the job stays pending

        var job = context.Submit(OperationKind.Install, new PackageTarget("nginx"));

        Assert.Equal(JobStatuses.Pending, job.Status);
        Assert.True(job.ExclusiveMode);
        var onDisk = File.ReadAllText(context.Store.PathFor(job.JobId));
        Assert.Contains("\"status\":\"pending\"", onDisk, StringComparison.Ordinal);
        Assert.True(context.Manager.HasActivePackageJob);
    }

    [Fact]
    public async Task ToAccepted_CarriesPatchFields_WhenJobIsPatchApply()
    {
        await using var context = new JobsTestContext();
        var request = new JobRequest(JobOperations.PatchApply, new PackageOperation(OperationKind.Upgrade, []))
        {
            PatchesCount = 3,
            RequiresReboot = true,
            RebootAfter = true,
        };

        var accepted = context.Manager.Submit(request).ToAccepted(request);

        Assert.Equal(JobStatuses.Pending, accepted.Status);
        Assert.Equal(3, accepted.PatchesCount);
        Assert.True(accepted.RequiresReboot);
        Assert.True(accepted.AutoReboot);
        Assert.Null(accepted.Package);
        Assert.Null(accepted.ScheduledAt);
    }

    [Fact]
    public async Task ToAccepted_NamesThePackage_WhenJobIsUpdate()
    {
        await using var context = new JobsTestContext();
        var request = new JobRequest(JobOperations.Update, new PackageOperation(OperationKind.Update, [new PackageTarget("curl", "8.0")]))
        {
            Packages = [new PackageSpec { Name = "curl", Version = "8.0" }],
            TargetVersion = "8.0",
        };

        var accepted = context.Manager.Submit(request).ToAccepted(request);

        Assert.Equal("curl", accepted.Package);
        Assert.Equal("8.0", accepted.TargetVersion);
        Assert.Null(accepted.Packages);
        Assert.Null(accepted.PatchesCount);
    }

    [Fact]
    public async Task Worker_RunsOneMutatingJobAtATime_WhenSeveralAreQueued()
    {
        var packages = new FakePackageManager
        {
            // Each execution spans some real time, so an overlapping second one would be seen by the counter.
            BeforeApply = (_, _, ct) => Task.Delay(30, ct),
        };
        await using var context = await new JobsTestContext(packages).StartAsync();

        var jobs = Enumerable.Range(0, 5).Select(i => context.Submit(OperationKind.Install, new PackageTarget($"pkg{i}"))).ToList();
        foreach (var job in jobs)
        {
            await context.WaitForStatusAsync(job.JobId, JobStatuses.Completed);
        }

        Assert.Equal(1, packages.MaxConcurrentExecutions);
        Assert.Equal(["pkg0", "pkg1", "pkg2", "pkg3", "pkg4"], packages.Executed.Select(op => op.Targets[0].Name));
        Assert.False(context.Manager.HasActivePackageJob);
    }

    [Fact]
    public async Task CancelOrDeleteAsync_CancelsPendingJobAtOnce_WhenAnotherJobHoldsTheQueue()
    {
        var gate = new Gate();
        var packages = new FakePackageManager { BeforeApply = (op, _, ct) => op.Targets[0].Name == "first" ? gate.PassAsync(ct) : Task.CompletedTask };
        await using var context = await new JobsTestContext(packages).StartAsync();
        var first = context.Submit(OperationKind.Install, new PackageTarget("first"));
        var second = context.Submit(OperationKind.Install, new PackageTarget("second"));
        await gate.Reached.WaitAsync(JobsTestContext.WaitTimeout);

        var response = await context.Manager.CancelOrDeleteAsync(second.JobId, CancellationToken.None);

        Assert.Equal(new JobDeleteResponse(second.JobId, JobStatuses.Pending, JobStatuses.Cancelled, "cancelled"), response);
        Assert.Equal(JobStatuses.Cancelled, context.Manager.Find(second.JobId)!.Status);
        gate.Open();
        await context.WaitForStatusAsync(first.JobId, JobStatuses.Completed);
        // A third job runs after the first, so the worker has passed the cancelled one by then.
        var third = context.Submit(OperationKind.Install, new PackageTarget("third"));
        await context.WaitForStatusAsync(third.JobId, JobStatuses.Completed);
        Assert.DoesNotContain(packages.Executed, op => op.Targets[0].Name == "second");
        Assert.Null(packages.VersionOf("second"));
        Assert.Equal(JobStatuses.Cancelled, context.Manager.Find(second.JobId)!.Status);
    }

    [Fact]
    public async Task CancelOrDeleteAsync_CancelsRunningJob_WhenBackendStopsOnTheToken()
    {
        var gate = new Gate();
        var packages = new FakePackageManager { BeforeApply = (_, _, ct) => gate.PassAsync(ct) };
        await using var context = await new JobsTestContext(packages).StartAsync();
        var job = context.Submit(OperationKind.Install, new PackageTarget("nginx"));
        await gate.Reached.WaitAsync(JobsTestContext.WaitTimeout);

        var response = await context.Manager.CancelOrDeleteAsync(job.JobId, CancellationToken.None);

        Assert.Equal(new JobDeleteResponse(job.JobId, JobStatuses.Running, JobStatuses.Cancelled, "cancelled"), response);
        var detail = context.Manager.Find(job.JobId)!;
        Assert.Equal(JobStatuses.Cancelled, detail.Status);
        Assert.NotNull(detail.CompletedAt);
        Assert.Null(packages.VersionOf("nginx"));
        Assert.False(context.Manager.HasActivePackageJob);
    }

    [Fact]
    public async Task CancelOrDeleteAsync_LeavesEveryJobFinalAndSaved_WhenCancelsRaceTheWorker()
    {
        var packages = new FakePackageManager { BeforeApply = async (_, _, ct) => await Task.Delay(1, ct) };
        await using var context = await new JobsTestContext(packages).StartAsync();
        var jobs = Enumerable.Range(0, 40).Select(i => context.Submit(OperationKind.Install, new PackageTarget($"pkg{i}", "1.0"))).ToList();

        // Cancels land on jobs that are pending, starting, running or already done, from several threads at once.
        var responses = await Task.WhenAll(jobs.Where((_, i) => i % 2 == 0)
            .Select(job => Task.Run(() => context.Manager.CancelOrDeleteAsync(job.JobId, CancellationToken.None))));

        foreach (var job in jobs)
        {
            // A cancel that came after the job finished deleted it.
            await Eventually.TrueAsync(() => context.Manager.Find(job.JobId) is not { } detail || JobStatuses.IsFinal(detail.Status), $"job {job.JobId} to end");
        }

        Assert.False(context.Manager.HasActivePackageJob);
        foreach (var response in responses)
        {
            Assert.NotNull(response);
            Assert.Contains(response.Action, (string[])["cancelled", "deleted"]);
        }

        foreach (var job in jobs)
        {
            if (context.Manager.Find(job.JobId) is null)
            {
                Assert.False(File.Exists(context.Store.PathFor(job.JobId)));
                continue;
            }

            var detail = context.Manager.Find(job.JobId)!;
            var name = job.Packages[0].Name!;
            Assert.True(detail.Status is JobStatuses.Completed or JobStatuses.Cancelled, detail.Status);
            // Completed means installed; a job cancelled before it ran never reached the backend.
            Assert.Equal(detail.Status == JobStatuses.Completed, packages.VersionOf(name) is not null);
            var onDisk = JsonDocument.Parse(File.ReadAllText(context.Store.PathFor(job.JobId))).RootElement.GetProperty("status").GetString();
            Assert.Equal(detail.Status, onDisk);
        }
    }

    [Fact]
    public async Task StopAsync_RecordsRunningJobInterrupted_WhenAgentStops()
    {
        var gate = new Gate();
        var packages = new FakePackageManager { BeforeApply = (_, _, ct) => gate.PassAsync(ct) };
        var context = await new JobsTestContext(packages).StartAsync();
        try
        {
            var job = context.Submit(OperationKind.Install, new PackageTarget("nginx"));
            await gate.Reached.WaitAsync(JobsTestContext.WaitTimeout);

            await context.StopWorkerAsync();

            var detail = context.Manager.Find(job.JobId)!;
            Assert.Equal(JobStatuses.Interrupted, detail.Status);
            Assert.Contains("\"status\":\"interrupted\"", File.ReadAllText(context.Store.PathFor(job.JobId)), StringComparison.Ordinal);
        }
        finally
        {
            await context.DisposeAsync();
        }
    }

    [Fact]
    public async Task CancelOrDeleteAsync_DeletesJobAndFile_WhenJobIsFinished()
    {
        await using var context = await new JobsTestContext().StartAsync();
        var job = context.Submit(OperationKind.Install, new PackageTarget("nginx"));
        await context.WaitForStatusAsync(job.JobId, JobStatuses.Completed);

        var response = await context.Manager.CancelOrDeleteAsync(job.JobId, CancellationToken.None);

        Assert.Equal(new JobDeleteResponse(job.JobId, JobStatuses.Completed, "deleted", "deleted"), response);
        Assert.Null(context.Manager.Find(job.JobId));
        Assert.False(File.Exists(context.Store.PathFor(job.JobId)));
    }

    [Fact]
    public async Task CancelOrDeleteAsync_ReturnsNull_WhenJobDoesNotExist()
    {
        await using var context = new JobsTestContext();

        Assert.Null(await context.Manager.CancelOrDeleteAsync(Guid.NewGuid().ToString("D"), CancellationToken.None));
    }

    [Fact]
    public async Task Worker_MarksJobTimeout_WhenItRunsPastTheLimit()
    {
        var gate = new Gate();
        var packages = new FakePackageManager { BeforeApply = (_, _, ct) => gate.PassAsync(ct) };
        await using var context = await new JobsTestContext(packages, configure: o => o.Jobs.TimeoutMinutes = 10).StartAsync();
        var job = context.Submit(OperationKind.Install, new PackageTarget("nginx"));
        await gate.Reached.WaitAsync(JobsTestContext.WaitTimeout);

        context.Time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(JobStatuses.Running, context.Manager.Find(job.JobId)!.Status);
        context.Time.Advance(TimeSpan.FromMinutes(1));

        var detail = await context.WaitForStatusAsync(job.JobId, JobStatuses.Timeout);
        Assert.Equal(JobErrorCodes.Timeout, detail.ErrorCode);
        Assert.Contains("10 minutes", detail.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_RecordsBeforeAndAfterVersions_WhenJobChangesPackages()
    {
        var packages = new FakePackageManager(new Dictionary<string, string> { ["curl"] = "7.88.1-10", ["bash"] = "5.2.15-2" });
        packages.Dependencies["libnginx"] = "1.22.1-9";
        await using var context = await new JobsTestContext(packages).StartAsync();

        var job = context.Submit(OperationKind.Install, new PackageTarget("nginx", "1.22.1-9"), new PackageTarget("curl", "7.88.1-10+deb12u5"));
        var detail = await context.WaitForStatusAsync(job.JobId, JobStatuses.Completed);

        Assert.Equal(
            [
                new PackageChange("curl", "7.88.1-10", "7.88.1-10+deb12u5"),
                new PackageChange("libnginx", null, "1.22.1-9"),
                new PackageChange("nginx", null, "1.22.1-9"),
            ],
            detail.Changes);
        Assert.Equal(0, detail.ExitCode);
        Assert.Equal(100, detail.ProgressPercent);
    }

    [Fact]
    public async Task Worker_RecordsChangesFromThePlan_WhenUpgradeNamesNoTargets()
    {
        var packages = new FakePackageManager(new Dictionary<string, string> { ["openssl"] = "3.0.11-1", ["bash"] = "5.2.15-2" });
        packages.Candidates["openssl"] = "3.0.13-1";
        await using var context = await new JobsTestContext(packages).StartAsync();

        var job = context.Submit(OperationKind.Upgrade);
        var detail = await context.WaitForStatusAsync(job.JobId, JobStatuses.Completed);

        Assert.Equal([new PackageChange("openssl", "3.0.11-1", "3.0.13-1")], detail.Changes);
    }

    [Fact]
    public async Task Worker_RecordsFailureAndPartialChanges_WhenBackendFails()
    {
        var packages = new FakePackageManager(new Dictionary<string, string> { ["curl"] = "7.88.1-10" })
        {
            Failure = new CommandOutcome(100, "partial", "E: Unable to locate package", JobErrorCodes.PackageNotFound, "Unable to locate package nope"),
        };
        await using var context = await new JobsTestContext(packages).StartAsync();

        var job = context.Submit(OperationKind.Install, new PackageTarget("nope"));
        var detail = await context.WaitForStatusAsync(job.JobId, JobStatuses.Failed);

        Assert.Equal(JobErrorCodes.PackageNotFound, detail.ErrorCode);
        Assert.Equal("Unable to locate package nope", detail.Error);
        Assert.Equal(100, detail.ExitCode);
        Assert.Equal("E: Unable to locate package", detail.CommandStderr);
        Assert.Empty(detail.Changes);
    }

    [Fact]
    public async Task Worker_FailsJobAndRunsTheNext_WhenBackendThrows()
    {
        var packages = new FakePackageManager
        {
            BeforeApply = (op, _, _) => op.Targets[0].Name == "bad" ? throw new InvalidOperationException("dpkg exploded") : Task.CompletedTask,
        };
        await using var context = await new JobsTestContext(packages).StartAsync();
        var bad = context.Submit(OperationKind.Install, new PackageTarget("bad"));
        var good = context.Submit(OperationKind.Install, new PackageTarget("good"));

        var failed = await context.WaitForStatusAsync(bad.JobId, JobStatuses.Failed);
        await context.WaitForStatusAsync(good.JobId, JobStatuses.Completed);

        Assert.Equal(JobErrorCodes.Unknown, failed.ErrorCode);
        Assert.Equal("dpkg exploded", failed.Error);
    }

    [Fact]
    public async Task Worker_StreamsLinesAndProgress_WhenBackendWritesOutput()
    {
        var packages = new FakePackageManager
        {
            BeforeApply = (_, output, _) =>
            {
                output.Progress(40, "Unpacking");
                output.Line("stderr", "W: something odd");
                return Task.CompletedTask;
            },
        };
        await using var context = await new JobsTestContext(packages).StartAsync();
        using var subscription = context.Hub.Subscribe();
        subscription.WatchAll();

        var job = context.Submit(OperationKind.Install, new PackageTarget("nginx", "1.22"));
        var detail = await context.WaitForStatusAsync(job.JobId, JobStatuses.Completed);

        Assert.Equal(["[stderr] W: something odd", "Setting up nginx (1.22)"], detail.Logs);
        var messages = Drain(subscription);
        Assert.Contains(messages, m => m.Type == WsMessageTypes.JobLog && m.Payload.GetProperty("line").GetString() == "W: something odd");
        Assert.Contains(messages, m => m.Type == WsMessageTypes.JobStatus && m.Payload.GetProperty("progress_percent").GetInt32() == 40
            && m.Payload.GetProperty("message").GetString() == "Unpacking");
        var statuses = messages.Where(m => m.Type == WsMessageTypes.JobStatus).Select(m => m.Payload.GetProperty("status").GetString()).Distinct();
        Assert.Equal([JobStatuses.Pending, JobStatuses.Running, JobStatuses.Completed], statuses);
        var complete = Assert.Single(messages, m => m.Type == WsMessageTypes.JobComplete);
        Assert.Equal(messages[^1], complete);
        Assert.Equal(job.JobId, complete.Payload.GetProperty("job_id").GetString());
    }

    [Fact]
    public async Task Worker_SavesLogLinesInBatches_WhenJobRunsLong()
    {
        var gate = new Gate();
        var packages = new FakePackageManager
        {
            BeforeApply = async (_, output, ct) =>
            {
                output.Line("stdout", "Reading package lists");
                await gate.PassAsync(ct);
            },
        };
        await using var context = await new JobsTestContext(packages).StartAsync();
        var job = context.Submit(OperationKind.Install, new PackageTarget("nginx"));
        await gate.Reached.WaitAsync(JobsTestContext.WaitTimeout);
        var path = context.Store.PathFor(job.JobId);
        Assert.DoesNotContain("Reading package lists", File.ReadAllText(path), StringComparison.Ordinal);

        context.Time.Advance(JobManager.FlushInterval);

        await Eventually.TrueAsync(() => File.ReadAllText(path).Contains("Reading package lists", StringComparison.Ordinal), "the log line on disk");
        gate.Open();
        await context.WaitForStatusAsync(job.JobId, JobStatuses.Completed);
    }

    [Fact]
    public async Task Rollback_QueuesJobRestoringBeforeVersions_WhenJobChangedPackages()
    {
        var packages = new FakePackageManager(new Dictionary<string, string> { ["curl"] = "7.88.1-10" });
        await using var context = await new JobsTestContext(packages).StartAsync();
        var original = context.Submit(OperationKind.Install, new PackageTarget("nginx", "1.22.1-9"), new PackageTarget("curl", "7.88.1-10+deb12u5"));
        await context.WaitForStatusAsync(original.JobId, JobStatuses.Completed);

        var result = context.Manager.Rollback(original.JobId);

        Assert.Equal(RollbackOutcome.Queued, result.Outcome);
        var rollback = result.Job!;
        Assert.Equal(JobOperations.Rollback, rollback.Operation);
        Assert.Equal(original.JobId, rollback.OriginalJobId);
        Assert.Equal(rollback.JobId, context.Manager.Find(original.JobId)!.RollbackJobId);
        var done = await context.WaitForStatusAsync(rollback.JobId, JobStatuses.Completed);
        var executed = packages.Executed.Last();
        Assert.Equal(OperationKind.Rollback, executed.Kind);
        Assert.Equal([new PackageTarget("curl", "7.88.1-10"), new PackageTarget("nginx", null)], executed.Targets);
        Assert.Equal("7.88.1-10", packages.VersionOf("curl"));
        Assert.Null(packages.VersionOf("nginx"));
        Assert.Equal(
            [new PackageChange("curl", "7.88.1-10+deb12u5", "7.88.1-10"), new PackageChange("nginx", "1.22.1-9", null)],
            done.Changes);
    }

    [Fact]
    public async Task Rollback_QueuesJob_WhenOriginalIsItselfARollback()
    {
        var packages = new FakePackageManager(new Dictionary<string, string> { ["curl"] = "7.0" });
        await using var context = await new JobsTestContext(packages).StartAsync();
        var update = context.Submit(OperationKind.Update, new PackageTarget("curl", "8.0"));
        await context.WaitForStatusAsync(update.JobId, JobStatuses.Completed);
        var undo = context.Manager.Rollback(update.JobId, requestedBy: "alice").Job!;
        await context.WaitForStatusAsync(undo.JobId, JobStatuses.Completed);

        var redo = context.Manager.Rollback(undo.JobId);

        Assert.Equal(RollbackOutcome.Queued, redo.Outcome);
        await context.WaitForStatusAsync(redo.Job!.JobId, JobStatuses.Completed);
        Assert.Equal("8.0", packages.VersionOf("curl"));
        Assert.Contains("\"requested_by\":\"alice\"", File.ReadAllText(context.Store.PathFor(undo.JobId)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollback_ReturnsConflict_WhenJobRecordedNoChanges()
    {
        var packages = new FakePackageManager(new Dictionary<string, string> { ["curl"] = "8.0" });
        await using var context = await new JobsTestContext(packages).StartAsync();
        var job = context.Submit(OperationKind.Install, new PackageTarget("curl", "8.0"));
        await context.WaitForStatusAsync(job.JobId, JobStatuses.Completed);

        var result = context.Manager.Rollback(job.JobId);

        Assert.Equal(RollbackOutcome.Conflict, result.Outcome);
        Assert.Contains("no package changes", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollback_ReturnsConflict_WhenJobIsNotFinished()
    {
        await using var context = new JobsTestContext();
        var job = context.Submit(OperationKind.Install, new PackageTarget("nginx"));

        var result = context.Manager.Rollback(job.JobId);

        Assert.Equal(RollbackOutcome.Conflict, result.Outcome);
        Assert.Contains("pending", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollback_ReturnsConflict_WhenJobIsAReboot()
    {
        await using var context = new JobsTestContext();
        var reboot = context.Manager.Submit(new JobRequest(JobOperations.Reboot, null) { ScheduledAt = context.Time.GetUtcNow().AddHours(1) });
        await context.Manager.CancelOrDeleteAsync(reboot.JobId, CancellationToken.None);

        var result = context.Manager.Rollback(reboot.JobId);

        Assert.Equal(RollbackOutcome.Conflict, result.Outcome);
    }

    [Fact]
    public async Task Rollback_ReturnsConflict_WhenJobIsAlreadyRolledBack()
    {
        await using var context = await new JobsTestContext().StartAsync();
        var job = context.Submit(OperationKind.Install, new PackageTarget("nginx", "1.0"));
        await context.WaitForStatusAsync(job.JobId, JobStatuses.Completed);
        Assert.Equal(RollbackOutcome.Queued, context.Manager.Rollback(job.JobId).Outcome);

        var second = context.Manager.Rollback(job.JobId);

        Assert.Equal(RollbackOutcome.Conflict, second.Outcome);
        Assert.Contains("already rolled back", second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollback_ReturnsNotFound_WhenJobDoesNotExist()
    {
        await using var context = new JobsTestContext();

        Assert.Equal(RollbackOutcome.NotFound, context.Manager.Rollback(Guid.NewGuid().ToString("D")).Outcome);
    }

    [Theory]
    [InlineData("timeout")]
    [InlineData("timed_out")]
    [InlineData("timedout")]
    [InlineData("TIMED_OUT")]
    public async Task List_ReturnsTimedOutJobs_WhenFilterUsesAnySpelling(string spelling)
    {
        var gate = new Gate();
        var packages = new FakePackageManager { BeforeApply = (op, _, ct) => op.Targets[0].Name == "slow" ? gate.PassAsync(ct) : Task.CompletedTask };
        await using var context = await new JobsTestContext(packages).StartAsync();
        var slow = context.Submit(OperationKind.Install, new PackageTarget("slow"));
        await gate.Reached.WaitAsync(JobsTestContext.WaitTimeout);
        context.Time.Advance(TimeSpan.FromMinutes(context.Options.Jobs.TimeoutMinutes));
        await context.WaitForStatusAsync(slow.JobId, JobStatuses.Timeout);
        var quick = context.Submit(OperationKind.Install, new PackageTarget("quick"));
        await context.WaitForStatusAsync(quick.JobId, JobStatuses.Completed);

        var list = context.Manager.List(new JobQuery(spelling, null, 100, 0, JobQueryValues.SortCreatedAt, false));

        Assert.Equal(1, list.Total);
        Assert.Equal(slow.JobId, Assert.Single(list.Jobs).JobId);
    }

    [Theory]
    [InlineData("patch_apply")]
    [InlineData("patchapply")]
    public async Task List_ReturnsPatchApplyJobs_WhenFilterUsesAnySpelling(string spelling)
    {
        await using var context = new JobsTestContext();
        var patch = context.Submit(OperationKind.Upgrade);
        context.Submit(OperationKind.Install, new PackageTarget("nginx"));

        var list = context.Manager.List(new JobQuery(null, spelling, 100, 0, JobQueryValues.SortCreatedAt, false));

        Assert.Equal(patch.JobId, Assert.Single(list.Jobs).JobId);
    }

    [Fact]
    public async Task List_SortsAndPages_WhenAskedForNewestFirst()
    {
        await using var context = new JobsTestContext();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(context.Submit(OperationKind.Install, new PackageTarget($"pkg{i}")).JobId);
            context.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var page = context.Manager.List(new JobQuery(null, null, 2, 1, JobQueryValues.SortCreatedAt, Descending: true));

        Assert.Equal(5, page.Total);
        Assert.Equal([ids[3], ids[2]], page.Jobs.Select(j => j.JobId));
        Assert.Equal(2, page.Limit);
        Assert.Equal(1, page.Offset);
    }

    [Theory]
    [InlineData("done", null, "created_at")]
    [InlineData(null, "upgrade", "created_at")]
    [InlineData(null, null, "name")]
    public async Task List_Throws_WhenQueryHasUnknownValue(string? status, string? operation, string sort)
    {
        await using var context = new JobsTestContext();

        Assert.Throws<ArgumentException>(() => context.Manager.List(new JobQuery(status, operation, 10, 0, sort, false)));
    }

    [Fact]
    public async Task Worker_DeletesOnlyFinishedJobsPastRetention_WhenSweepRuns()
    {
        await using var context = await new JobsTestContext().StartAsync();
        var old = context.Submit(OperationKind.Install, new PackageTarget("old"));
        await context.WaitForStatusAsync(old.JobId, JobStatuses.Completed);
        var waiting = context.Manager.Submit(new JobRequest(JobOperations.Reboot, null) { ScheduledAt = context.Time.GetUtcNow().AddDays(90) });
        context.Time.Advance(TimeSpan.FromDays(context.Options.Jobs.RetentionDays - 1));
        var recent = context.Submit(OperationKind.Install, new PackageTarget("recent"));
        await context.WaitForStatusAsync(recent.JobId, JobStatuses.Completed);

        context.Time.Advance(TimeSpan.FromDays(1) + JobWorker.RetentionInterval);

        await Eventually.TrueAsync(() => context.Manager.Find(old.JobId) is null, "the old job to be deleted");
        Assert.False(File.Exists(context.Store.PathFor(old.JobId)));
        Assert.Equal(JobStatuses.Pending, context.Manager.Find(waiting.JobId)!.Status);
        Assert.NotNull(context.Manager.Find(recent.JobId));
        Assert.True(File.Exists(context.Store.PathFor(recent.JobId)));
    }

    [Fact]
    public async Task Worker_SchedulesRebootWithTheDelay_WhenPatchApplyAskedForIt()
    {
        await using var context = await new JobsTestContext().StartAsync();
        var patch = context.Manager.Submit(new JobRequest(JobOperations.PatchApply, new PackageOperation(OperationKind.Upgrade, []))
        {
            RebootAfter = true,
            RebootDelay = TimeSpan.FromMinutes(5),
            RequestedBy = "portal",
        });

        var done = await context.WaitForStatusAsync(patch.JobId, JobStatuses.Completed);

        var reboot = Assert.Single(context.Manager.List(new JobQuery(null, JobOperations.Reboot, 10, 0, JobQueryValues.SortCreatedAt, false)).Jobs);
        var detail = context.Manager.Find(reboot.JobId)!;
        Assert.Equal(JobStatuses.Pending, detail.Status);
        Assert.Equal(done.CompletedAt!.Value.AddMinutes(5), detail.ScheduledAt);
        Assert.False(detail.ExclusiveMode);
        Assert.Contains(reboot.JobId, done.Message, StringComparison.Ordinal);
        context.Time.Advance(TimeSpan.FromMinutes(5));
        var rebooted = await context.WaitForStatusAsync(reboot.JobId, JobStatuses.Completed);
        Assert.Equal(0, rebooted.ExitCode);
    }

    [Fact]
    public async Task Worker_SchedulesNoReboot_WhenPatchApplyFails()
    {
        var packages = new FakePackageManager { Failure = new CommandOutcome(1, string.Empty, "boom", JobErrorCodes.PackageManagerError, "boom") };
        await using var context = await new JobsTestContext(packages).StartAsync();
        var patch = context.Manager.Submit(new JobRequest(JobOperations.PatchApply, new PackageOperation(OperationKind.Upgrade, [])) { RebootAfter = true });

        await context.WaitForStatusAsync(patch.JobId, JobStatuses.Failed);

        Assert.Empty(context.Manager.List(new JobQuery(null, JobOperations.Reboot, 10, 0, JobQueryValues.SortCreatedAt, false)).Jobs);
    }

    [Fact]
    public async Task RebootJob_Fails_WhenRebootCommandFails()
    {
        await using var context = await new JobsTestContext(configure: o => o.Reboot.Command = ["/bin/false"]).StartAsync();

        var reboot = context.Manager.Submit(new JobRequest(JobOperations.Reboot, null) { Reason = "kernel" });

        var detail = await context.WaitForStatusAsync(reboot.JobId, JobStatuses.Failed);
        Assert.Equal(JobErrorCodes.RebootError, detail.ErrorCode);
        Assert.Equal(1, detail.ExitCode);
        Assert.Equal("kernel", detail.Reason);
    }

    [Fact]
    public async Task RebootJob_RunsWithoutThePackageLock_WhenAPackageJobIsRunning()
    {
        var gate = new Gate();
        var packages = new FakePackageManager { BeforeApply = (_, _, ct) => gate.PassAsync(ct) };
        await using var context = await new JobsTestContext(packages).StartAsync();
        var install = context.Submit(OperationKind.Install, new PackageTarget("nginx"));
        await gate.Reached.WaitAsync(JobsTestContext.WaitTimeout);

        var reboot = context.Manager.Submit(new JobRequest(JobOperations.Reboot, null));

        await context.WaitForStatusAsync(reboot.JobId, JobStatuses.Completed);
        Assert.Equal(JobStatuses.Running, context.Manager.Find(install.JobId)!.Status);
        Assert.True(context.Manager.HasActivePackageJob);
        gate.Open();
    }

    [Fact]
    public async Task CancelOrDeleteAsync_CancelsScheduledReboot_WhenItsTimeHasNotCome()
    {
        await using var context = await new JobsTestContext(configure: o => o.Reboot.Command = ["/bin/false"]).StartAsync();
        var reboot = context.Manager.Submit(new JobRequest(JobOperations.Reboot, null) { ScheduledAt = context.Time.GetUtcNow().AddMinutes(10) });

        var response = await context.Manager.CancelOrDeleteAsync(reboot.JobId, CancellationToken.None);
        context.Time.Advance(TimeSpan.FromMinutes(11));

        Assert.Equal(JobStatuses.Cancelled, response!.CurrentStatus);
        Assert.False(context.Manager.HasActivePackageJob);
        var detail = context.Manager.Find(reboot.JobId)!;
        Assert.Equal(JobStatuses.Cancelled, detail.Status);
        Assert.Null(detail.ExitCode);
    }

    [Fact]
    public async Task Constructor_RecordsRunningJobAsInterrupted_WhenAgentRestarts()
    {
        var gate = new Gate();
        var packages = new FakePackageManager { BeforeApply = (_, _, ct) => gate.PassAsync(ct) };
        string dataDir;
        string jobId;
        await using (var first = await new JobsTestContext(packages).StartAsync())
        {
            jobId = first.Submit(OperationKind.Install, new PackageTarget("nginx")).JobId;
            await gate.Reached.WaitAsync(JobsTestContext.WaitTimeout);
            dataDir = first.DataDir;
            // Simulates a crash: the next manager reads the files this one left, while it still "runs".
            await using var second = new JobsTestContext(new FakePackageManager(), dataDir);
            var detail = second.Manager.Find(jobId)!;
            Assert.Equal(JobStatuses.Interrupted, detail.Status);
            Assert.False(second.Manager.HasActivePackageJob);
        }
    }

    private static List<WsServerMessage> Drain(JobSubscription subscription)
    {
        var messages = new List<WsServerMessage>();
        while (subscription.Reader.TryRead(out var bytes))
        {
            messages.Add(JsonSerializer.Deserialize<WsServerMessage>(bytes, AgentJson.Options)!);
        }

        return messages;
    }
}
