using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Runs;

/// <summary>The queries of the run pages: a filtered, sorted page of runs (in SQL) and one run with its hosts.</summary>
public sealed class RunQuery(IDbContextFactory<PortalDbContext> factory)
{
    public const int MaxPageSize = 500;

    public async Task<RunListPage> GetPageAsync(RunFilter filter, RunSort sort, int page, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(sort);
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var runs = db.PatchRuns.AsNoTracking();
        if (filter.State is { } state)
        {
            runs = runs.Where(r => r.State == state);
        }

        if (filter.PlanId is { } planId)
        {
            runs = runs.Where(r => r.PlanId == planId);
        }

        var total = await runs.CountAsync(cancellationToken);
        var ordered = (sort.Column, sort.Descending) switch
        {
            (nameof(RunRow.PlanName), false) => runs.OrderBy(r => r.Plan!.Name).ThenByDescending(r => r.OccurrenceStart),
            (nameof(RunRow.PlanName), true) => runs.OrderByDescending(r => r.Plan!.Name).ThenByDescending(r => r.OccurrenceStart),
            (nameof(RunRow.State), false) => runs.OrderBy(r => r.State).ThenByDescending(r => r.OccurrenceStart),
            (nameof(RunRow.State), true) => runs.OrderByDescending(r => r.State).ThenByDescending(r => r.OccurrenceStart),
            (nameof(RunRow.StartedAt), false) => runs.OrderBy(r => r.StartedAt),
            (nameof(RunRow.StartedAt), true) => runs.OrderByDescending(r => r.StartedAt),
            (nameof(RunRow.OccurrenceStart), false) => runs.OrderBy(r => r.OccurrenceStart),
            _ => runs.OrderByDescending(r => r.OccurrenceStart),
        };
        var items = await ordered.ThenBy(r => r.Id)
            .Skip(Math.Max(0, page) * pageSize).Take(pageSize)
            .Select(r => new RunRow(
                r.Id,
                r.PlanId,
                r.Plan!.Name,
                r.OccurrenceStart,
                r.State,
                r.StateReason,
                r.PauseRequested,
                r.Hosts.Count,
                r.Hosts.Count(h => h.State == HostRunState.Succeeded),
                r.Hosts.Count(h => h.State == HostRunState.Failed || h.State == HostRunState.Missed),
                r.Hosts.Count(h => h.State == HostRunState.Skipped),
                r.StartedAt,
                r.FinishedAt))
            .ToListAsync(cancellationToken);
        return new RunListPage(items, total);
    }

    /// <summary>Plans that have runs, for the list's plan filter.</summary>
    public async Task<IReadOnlyList<PlanOption>> GetPlanOptionsAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.PatchPlans.AsNoTracking()
            .Where(p => db.PatchRuns.Any(r => r.PlanId == p.Id))
            .OrderBy(p => p.Name)
            .Select(p => new PlanOption(p.Id, p.Name))
            .ToListAsync(cancellationToken);
    }

    public async Task<RunDetail?> GetDetailAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.PatchRuns.AsNoTracking()
            .Where(r => r.Id == runId)
            .Select(r => new
            {
                Run = r,
                PlanName = r.Plan!.Name,
                r.Plan.Timing,
                r.Plan.RebootPolicy,
                WindowName = r.Plan.Window == null ? null : r.Plan.Window.Name,
                WindowZone = r.Plan.Window == null ? null : r.Plan.Window.TimeZoneId,
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (run is null)
        {
            return null;
        }

        var hosts = await db.HostRuns.AsNoTracking().Where(h => h.RunId == runId).ToListAsync(cancellationToken);
        var r = run.Run;
        return new RunDetail(
            r.Id, r.PlanId, run.PlanName, run.Timing, run.WindowName, run.WindowZone,
            r.OccurrenceStart, r.OccurrenceEnd, r.CutoffAt, r.State, r.StateReason, r.PauseRequested, r.CancelledBy,
            r.CurrentBatch, r.StartedAt, r.FinishedAt, run.RebootPolicy,
            hosts.OrderBy(h => h.BatchNumber).ThenBy(h => h.HostName, StringComparer.OrdinalIgnoreCase)
                .Select(h => new HostRunRow(
                    h.Id, h.HostId, h.HostName, h.BatchNumber, h.IsCanary, h.State, h.Attempts, h.NextAttemptAt, h.ProgressPercent,
                    h.Message, h.Error, h.AgentJobId, h.RollbackJobId, h.KernelAfter, h.OutputExcerpt, h.Changes, h.StartedAt, h.FinishedAt))
                .ToList());
    }
}
