using Hangfire;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Inventory;

namespace PatchPortal.Portal.Runs;

/// <summary>
/// Makes sure every run that should be executing has an executor: a run left Running or Paused with no live claim
/// (its portal stopped or crashed), or a due run whose Hangfire job is missing (the portal stopped between saving
/// the run and scheduling it). It runs once at start and then every minute; starting an executor twice is
/// harmless (the lease lets one work), so it errs on the side of starting one.
/// </summary>
[AutomaticRetry(Attempts = 0)] // the next minute is the retry
public sealed class RunWatchdog(
    IDbContextFactory<PortalDbContext> factory,
    IBackgroundJobClient jobs,
    JobStorage storage,
    TimeProvider time,
    ILogger<RunWatchdog> logger)
{
    public const string RecurringJobId = "runs-watchdog";

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var candidates = await db.PatchRuns.AsNoTracking()
            .Where(r => r.State == RunState.Running || r.State == RunState.Paused || (r.State == RunState.Scheduled && r.OccurrenceStart <= now))
            .ToListAsync(cancellationToken);
        foreach (var run in candidates)
        {
            var job = JobState(run.HangfireJobId);
            var waiting = job == EnqueuedState.StateName || job == ScheduledState.StateName;
            var needed = run.State == RunState.Scheduled
                ? !waiting && job != ProcessingState.StateName
                : !waiting && RunLease.IsFree(run, now);
            if (!needed)
            {
                continue;
            }

            var jobId = RunScheduler.Enqueue(jobs, run.Id, now, now);
            await db.PatchRuns.Where(r => r.Id == run.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.HangfireJobId, jobId), cancellationToken);
            RunsLog.Resumed(logger, run.Id, run.State, jobId);
        }
    }

    private string? JobState(string? jobId)
    {
        if (jobId is null)
        {
            return null;
        }

        using var connection = storage.GetConnection();
        return connection.GetJobData(jobId)?.State;
    }
}

/// <summary>At start: forgets this machine's claims from before the restart, resumes runs at once, and registers the watchdog.</summary>
internal sealed class RunRecovery(
    RunLease lease,
    IServiceScopeFactory scopes,
    IRecurringJobManager recurring,
    ILogger<RunRecovery> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var released = await lease.ReleaseStaleClaimsOfThisMachineAsync(cancellationToken);
        if (released > 0)
        {
            RunsLog.StaleClaimsReleased(logger, released);
        }

        await using (var scope = scopes.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<RunWatchdog>().CheckAsync(cancellationToken);
        }

        // On the default queue: the runs queue's workers may all be busy executing runs.
        recurring.AddOrUpdate<RunWatchdog>(RunWatchdog.RecurringJobId, InventoryQueues.Default, w => w.CheckAsync(CancellationToken.None),
            Cron.Minutely(), new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
