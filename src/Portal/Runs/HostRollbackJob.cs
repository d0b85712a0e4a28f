using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Inventory;

namespace PatchPortal.Portal.Runs;

/// <summary>
/// Follows a host's rollback job to its end: the host becomes RolledBack when the agent restored the versions,
/// or keeps its state with the rollback's error. Idempotent: a finished rollback is only read again.
/// </summary>
[AutomaticRetry(Attempts = 0)]
public sealed class HostRollbackJob(
    IDbContextFactory<PortalDbContext> factory,
    IAgentClient agents,
    RunEventHub events,
    IHostRefreshScheduler inventory,
    IOptions<RunsOptions> options,
    TimeProvider time,
    ILogger<HostRollbackJob> logger)
{
    public async Task FollowAsync(long hostRunId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var record = await db.HostRuns.SingleOrDefaultAsync(h => h.Id == hostRunId, cancellationToken);
        if (record?.RollbackJobId is not { } jobId || record.State == HostRunState.RolledBack)
        {
            return;
        }

        var host = await db.Hosts.AsNoTracking().SingleOrDefaultAsync(h => h.Id == record.HostId, cancellationToken);
        var run = await db.PatchRuns.AsNoTracking().Include(r => r.Plan).SingleAsync(r => r.Id == record.RunId, cancellationToken);
        if (host is null)
        {
            record.Error = "Rollback not followed: the host was removed from the portal.";
            await SaveAsync(db, record, cancellationToken);
            return;
        }

        var agent = new AgentEndpoint(host.Id, host.Name, host.Address, host.AgentPort, host.AgentCertificateFingerprint);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(run.Plan!.HostTimeoutMinutes), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        JobDetail? detail = null;
        try
        {
            await foreach (var item in agents.FollowJobAsync(agent, jobId, linked.Token))
            {
                if (item is AgentJobCompleted completed)
                {
                    detail = completed.Detail;
                }
            }

            while (detail is null)
            {
                var job = await agents.GetJobAsync(agent, jobId, linked.Token);
                if (job.Value is { } current && JobStatuses.IsFinal(current.Status))
                {
                    detail = current;
                }
                else
                {
                    await Task.Delay(TimeSpan.FromSeconds(options.Value.PollSeconds), time, linked.Token);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            record.Error = $"Rollback job {jobId} gave no result within {run.Plan.HostTimeoutMinutes} minutes.";
            await SaveAsync(db, record, cancellationToken);
            return;
        }

        if (detail.Status == JobStatuses.Completed)
        {
            record.State = HostRunState.RolledBack;
            record.Error = null;
            record.Message = $"Rolled back: {string.Join(", ", detail.Changes.Select(c => $"{c.Package} {c.Before} → {c.After}"))}".TrimEnd(' ', ':');
            record.FinishedAt = time.GetUtcNow();
        }
        else
        {
            record.Error = $"Rollback job {jobId} {detail.Status}: {detail.Error ?? detail.Message}";
        }

        await SaveAsync(db, record, cancellationToken);
        RunsLog.HostEnded(logger, record.RunId, record.HostName, record.State, record.Error ?? record.Message ?? "");
        inventory.RefreshNow([record.HostId]);
    }

    private async Task SaveAsync(PortalDbContext db, HostRun record, CancellationToken cancellationToken)
    {
        await db.SaveChangesAsync(cancellationToken);
        events.Publish(new RunChanged(record.RunId, record.Id));
    }
}
