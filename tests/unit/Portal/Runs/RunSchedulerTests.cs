using Hangfire;
using Hangfire.Storage.SQLite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Runs;
using PatchPortal.Tests.Unit.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Runs;

/// <summary>The scheduler against real SQLite and Hangfire's real client and storage (no server runs the jobs).</summary>
[Collection(HangfireGlobalState.Name)]
public sealed class RunSchedulerTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private readonly RunsDatabase _database = new();
    private readonly FakeMaintenanceSchedule _schedule = new();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly SQLiteStorage _storage;
    private readonly BackgroundJobClient _jobs;

    public RunSchedulerTests()
    {
        _storage = new SQLiteStorage(Path.Combine(_database.Directory, "hangfire.db"), new SQLiteStorageOptions());
        _jobs = new BackgroundJobClient(_storage);
    }

    public void Dispose()
    {
        _storage.Dispose();
        _database.Dispose();
    }

    private RunScheduler Scheduler() => new(
        _database, _schedule, _jobs, new AuditLog(_database, _time), new RunEventHub(),
        Options.Create(new RunsOptions()), _time, NullLogger<RunScheduler>.Instance);

    private async Task<PatchPlan> ApprovedPlanAsync(Action<PatchPlan>? configure = null, PlanState state = PlanState.Approved)
    {
        var window = await _database.AddWindowAsync();
        _schedule.Add(window, Now.AddDays(3), TimeSpan.FromHours(2), TimeSpan.FromMinutes(30));
        _schedule.Add(window, Now.AddDays(10), TimeSpan.FromHours(2), TimeSpan.FromMinutes(30));
        var host = await _database.AddHostAsync("web-1");
        return await _database.AddApprovedPlanAsync(window, [host], configure, state);
    }

    [Fact]
    public async Task ScheduleAsync_CreatesRunAndSchedulesJobAtOccurrenceStart_WhenPlanIsForNextOccurrence()
    {
        var plan = await ApprovedPlanAsync();

        await Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None);

        var run = Assert.Single(await _database.RunsOfAsync(plan.Id));
        Assert.Equal((RunState.Scheduled, Now.AddDays(3), Now.AddDays(3).AddHours(2), Now.AddDays(3).AddMinutes(90)),
            (run.State, run.OccurrenceStart, run.OccurrenceEnd, run.CutoffAt));
        var job = Assert.Single(_storage.GetMonitoringApi().ScheduledJobs(0, 10));
        Assert.Equal(run.HangfireJobId, job.Key);
        Assert.Equal((typeof(RunExecutor), nameof(RunExecutor.ExecuteAsync), run.Id), (job.Value.Job.Type, job.Value.Job.Method.Name, (Guid)job.Value.Job.Args[0]));
        Assert.Equal(Now.AddDays(3).UtcDateTime, job.Value.EnqueueAt);
        Assert.Equal(PlanState.Scheduled, (await _database.GetPlanAsync(plan.Id)).State);
    }

    [Fact]
    public async Task ScheduleAsync_WritesPlanEventAndAudit_WhenScheduling()
    {
        var plan = await ApprovedPlanAsync();

        await Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None);

        var scheduled = Assert.Single(await _database.PlanEventsAsync(plan.Id));
        Assert.Equal((RunScheduler.ScheduledEvent, "approver@test", PlanState.Approved, PlanState.Scheduled),
            (scheduled.Kind, scheduled.Actor, scheduled.FromState, scheduled.ToState));
        Assert.Contains("2026-11-29 12:00 UTC", scheduled.Message, StringComparison.Ordinal);
        var audit = Assert.Single(await _database.AuditAsync(AuditActions.PlanScheduled));
        Assert.Equal(("approver@test", plan.Name), (audit.Actor, audit.Target));
    }

    [Fact]
    public async Task ScheduleAsync_CreatesOneRunAndOneJob_WhenCalledTwice()
    {
        var plan = await ApprovedPlanAsync();

        await Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None);
        await Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None);

        Assert.Single(await _database.RunsOfAsync(plan.Id));
        Assert.Equal(1, _storage.GetMonitoringApi().ScheduledCount());
    }

    [Fact]
    public async Task ScheduleAsync_EnqueuesAtOnce_WhenTimingIsNow()
    {
        var host = await _database.AddHostAsync("web-1");
        var plan = await _database.AddApprovedPlanAsync(window: null, [host]);

        await Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None);

        var run = Assert.Single(await _database.RunsOfAsync(plan.Id));
        Assert.Equal((Now, Now.AddMinutes(new RunsOptions().ImmediateRunMinutes)), (run.OccurrenceStart, run.CutoffAt));
        var queued = Assert.Single(_storage.GetMonitoringApi().EnqueuedJobs(RunsOptions.Queue, 0, 10));
        Assert.Equal(run.HangfireJobId, queued.Key);
    }

    [Fact]
    public async Task ScheduleAsync_UsesChosenOccurrence_WhenTimingIsOccurrence()
    {
        var plan = await ApprovedPlanAsync(p =>
        {
            p.Timing = PlanTiming.Occurrence;
            p.OccurrenceStart = Now.AddDays(10);
        });

        await Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None);

        Assert.Equal(Now.AddDays(10), Assert.Single(await _database.RunsOfAsync(plan.Id)).OccurrenceStart);
    }

    [Fact]
    public async Task ScheduleAsync_TakesFollowingOccurrence_WhenCurrentOnePassedItsCutoff()
    {
        var plan = await ApprovedPlanAsync();
        _time.SetUtcNow(Now.AddDays(3).AddMinutes(100)); // inside the first occurrence, after its cutoff

        await Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None);

        Assert.Equal(Now.AddDays(10), Assert.Single(await _database.RunsOfAsync(plan.Id)).OccurrenceStart);
    }

    [Fact]
    public async Task ScheduleAsync_EnqueuesAtOnce_WhenOccurrenceIsUnderWayBeforeItsCutoff()
    {
        var plan = await ApprovedPlanAsync();
        _time.SetUtcNow(Now.AddDays(3).AddMinutes(10));

        await Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None);

        Assert.Equal(Now.AddDays(3), Assert.Single(await _database.RunsOfAsync(plan.Id)).OccurrenceStart);
        Assert.Single(_storage.GetMonitoringApi().EnqueuedJobs(RunsOptions.Queue, 0, 10));
    }

    [Fact]
    public async Task ScheduleAsync_RefusesWithMessage_WhenWindowHasNoFutureOccurrence()
    {
        var plan = await ApprovedPlanAsync();
        _time.SetUtcNow(Now.AddDays(30));

        var error = await Assert.ThrowsAsync<RunSchedulingException>(() => Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None));

        Assert.Equal("Window 'Sunday night' has no future occurrence.", error.Message);
        Assert.Empty(await _database.RunsOfAsync(plan.Id));
        Assert.Equal(PlanState.Approved, (await _database.GetPlanAsync(plan.Id)).State);
    }

    [Fact]
    public async Task ScheduleAsync_RefusesWithMessage_WhenChosenOccurrenceDoesNotExist()
    {
        var plan = await ApprovedPlanAsync(p =>
        {
            p.Timing = PlanTiming.Occurrence;
            p.OccurrenceStart = Now.AddDays(4);
        });

        var error = await Assert.ThrowsAsync<RunSchedulingException>(() => Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None));

        Assert.Equal("Window 'Sunday night' has no occurrence starting at 2026-11-30 12:00 UTC.", error.Message);
    }

    [Fact]
    public async Task ScheduleAsync_RefusesWithMessage_WhenPlanIsNotApproved()
    {
        var plan = await ApprovedPlanAsync(state: PlanState.PendingApproval);

        var error = await Assert.ThrowsAsync<RunSchedulingException>(() => Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None));

        Assert.Contains("is PendingApproval; only an approved plan can be scheduled", error.Message, StringComparison.Ordinal);
        Assert.Empty(await _database.RunsOfAsync(plan.Id));
    }

    [Fact]
    public async Task UnscheduleAsync_DeletesRunAndItsJob_WhenRunHasNotStarted()
    {
        var plan = await ApprovedPlanAsync();
        await Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None);
        var jobId = Assert.Single(await _database.RunsOfAsync(plan.Id)).HangfireJobId!;

        await Scheduler().UnscheduleAsync(plan.Id, "operator@test", CancellationToken.None);

        Assert.Empty(await _database.RunsOfAsync(plan.Id));
        Assert.Equal("Deleted", _storage.GetMonitoringApi().JobDetails(jobId).History[0].StateName);
        Assert.Equal(RunScheduler.UnscheduledEvent, (await _database.PlanEventsAsync(plan.Id))[^1].Kind);
        Assert.Equal("operator@test", Assert.Single(await _database.AuditAsync(AuditActions.RunCancelled)).Actor);
    }

    [Fact]
    public async Task UnscheduleAsync_KeepsRun_WhenRunHasStarted()
    {
        var plan = await ApprovedPlanAsync();
        await Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None);
        await using (var db = _database.CreateDbContext())
        {
            var run = db.PatchRuns.Single(r => r.PlanId == plan.Id);
            run.State = RunState.Running;
            await db.SaveChangesAsync();
        }

        await Scheduler().UnscheduleAsync(plan.Id, "operator@test", CancellationToken.None);

        Assert.Equal(RunState.Running, Assert.Single(await _database.RunsOfAsync(plan.Id)).State);
    }
}
