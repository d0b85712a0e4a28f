using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Portal.Plans;

/// <summary>
/// What the plan pages read: the list (filtered, sorted and paged in SQL), one plan with its decisions, timeline
/// and runs, its manifest, and the editor's choices. One DbContext per call.
/// </summary>
public sealed class PlanQueries(IDbContextFactory<PortalDbContext> factory, IMaintenanceSchedule schedule, TimeProvider time)
{
    public const int PreviewHosts = 200;

    public async Task<PlanResultPage> GetPageAsync(PlanFilter filter, PlanSort sort, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var total = await Filter(db, filter).CountAsync(cancellationToken);
        var items = await PageQuery(db, filter, sort, page, pageSize).ToListAsync(cancellationToken);
        return new PlanResultPage(items, total);
    }

    /// <summary>One page of the list as a query; public so a test can check that all of it runs in SQL.</summary>
    public static IQueryable<PlanRow> PageQuery(PortalDbContext db, PlanFilter filter, PlanSort sort, int page, int pageSize)
    {
        ArgumentNullException.ThrowIfNull(sort);
        var plans = Filter(db, filter);
        IOrderedQueryable<PatchPlan> ordered = (sort.By, sort.Descending) switch
        {
            (PlanSort.Name, false) => plans.OrderBy(p => p.Name),
            (PlanSort.Name, true) => plans.OrderByDescending(p => p.Name),
            (PlanSort.State, false) => plans.OrderBy(p => p.State),
            (PlanSort.State, true) => plans.OrderByDescending(p => p.State),
            (PlanSort.RequestedBy, false) => plans.OrderBy(p => p.RequestedBy),
            (PlanSort.RequestedBy, true) => plans.OrderByDescending(p => p.RequestedBy),
            (PlanSort.Created, false) => plans.OrderBy(p => p.CreatedAt),
            (PlanSort.Created, true) => plans.OrderByDescending(p => p.CreatedAt),
            (PlanSort.Updated, false) => plans.OrderBy(p => p.UpdatedAt),
            // Most recently changed first unless asked otherwise: that is where work is.
            _ => plans.OrderByDescending(p => p.UpdatedAt),
        };
        return ordered.ThenBy(p => p.Id).Skip(Math.Max(page, 0) * pageSize).Take(pageSize).Select(p => new PlanRow(
            p.Id, p.Name, p.State, p.Revision, p.RequestedBy, p.Timing, p.Window == null ? null : p.Window.Name, p.OccurrenceStart,
            p.Approvals.Count(a => a.PlanRevision == p.Revision && a.Decision == ApprovalDecision.Approved),
            p.RequiredApprovals, p.CreatedAt, p.UpdatedAt));
    }

    public static IQueryable<PatchPlan> Filter(PortalDbContext db, PlanFilter filter)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(filter);
        var plans = db.PatchPlans.AsNoTracking();
#pragma warning disable CA1304, CA1311, CA1862 // ToUpper() here is SQL's UPPER(), translated by EF, not .NET's culture-bound call.
        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            // Upper-casing both sides is a case-insensitive match on any provider.
            var term = filter.Search.Trim().ToUpperInvariant();
            plans = plans.Where(p => p.Name.ToUpper().Contains(term) || (p.Description != null && p.Description.ToUpper().Contains(term)));
        }

        if (filter.State is { } state)
        {
            plans = plans.Where(p => p.State == state);
        }

        if (!string.IsNullOrWhiteSpace(filter.RequestedBy))
        {
            var requester = filter.RequestedBy.Trim().ToUpperInvariant();
            plans = plans.Where(p => p.RequestedBy.ToUpper().Contains(requester));
        }
#pragma warning restore CA1304, CA1311, CA1862

        if (!string.IsNullOrWhiteSpace(filter.WaitingFor))
        {
            // Pending, not written by them, and not yet decided by them for the current revision.
            var me = filter.WaitingFor;
            var authoring = PlanEventKinds.Authoring.ToList();
            plans = plans.Where(p => p.State == PlanState.PendingApproval
                && p.RequestedBy != me
                && !p.Events.Any(e => e.Actor == me && authoring.Contains(e.Kind))
                && !p.Approvals.Any(a => a.PlanRevision == p.Revision && a.Approver == me));
        }

        return plans;
    }

    public async Task<PlanDetail?> GetDetailAsync(Guid planId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var plan = await db.PatchPlans.AsNoTracking()
            .Include(p => p.TargetGroups).Include(p => p.TargetTags).Include(p => p.TargetHosts).Include(p => p.Window)
            .AsSplitQuery().SingleOrDefaultAsync(p => p.Id == planId, cancellationToken);
        if (plan is null)
        {
            return null;
        }

        var targets = TargetSet.Of(plan.TargetGroups, plan.TargetTags, plan.TargetHosts);
        var canaryIds = plan.CanaryHostIds.ToList();
        var canaries = await db.Hosts.AsNoTracking().Where(h => canaryIds.Contains(h.Id)).OrderBy(h => h.Name)
            .Select(h => new NamedRef(h.Id, h.Name)).ToListAsync(cancellationToken);
        var manifest = await db.PlanManifestHosts.AsNoTracking().Where(m => m.PlanId == planId)
            .OrderByDescending(m => m.CheckedAt).Select(m => new { Revision = m.PlanRevision, m.CheckedAt })
            .FirstOrDefaultAsync(cancellationToken);
        var decisions = await db.PlanApprovals.AsNoTracking().Where(a => a.PlanId == planId)
            .OrderByDescending(a => a.DecidedAt).ThenByDescending(a => a.Id)
            .Select(a => new PlanDecisionRow(a.PlanRevision, a.Approver, a.Decision, a.Comment, a.DecidedAt)).ToListAsync(cancellationToken);
        var timeline = await db.PlanEvents.AsNoTracking().Where(e => e.PlanId == planId)
            .OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id)
            .Select(e => new PlanEventRow(e.OccurredAt, e.Actor, e.Kind, e.FromState, e.ToState, e.Message)).ToListAsync(cancellationToken);
        var runs = await db.PatchRuns.AsNoTracking().Where(r => r.PlanId == planId)
            .OrderByDescending(r => r.OccurrenceStart)
            .Select(r => new PlanRunRow(r.Id, r.OccurrenceStart, r.State, r.StateReason, r.StartedAt, r.FinishedAt, r.Hosts.Count)).ToListAsync(cancellationToken);

        return new PlanDetail
        {
            Id = plan.Id,
            Name = plan.Name,
            Description = plan.Description,
            State = plan.State,
            Revision = plan.Revision,
            RequestedBy = plan.RequestedBy,
            Scope = plan.Scope,
            Packages = plan.Packages,
            ExcludedPackages = plan.ExcludedPackages,
            Groups = plan.TargetGroups.OrderBy(g => g.Name, StringComparer.OrdinalIgnoreCase).Select(g => new NamedRef(g.Id, g.Name)).ToList(),
            Tags = plan.TargetTags.OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase).Select(t => new NamedRef(t.Id, t.Name)).ToList(),
            Hosts = plan.TargetHosts.OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase).Select(h => new NamedRef(h.Id, h.Name)).ToList(),
            TargetHostCount = await db.Hosts.AsNoTracking().Targeted(targets).CountAsync(cancellationToken),
            Timing = plan.Timing,
            WindowId = plan.WindowId,
            WindowName = plan.Window?.Name,
            WindowTimeZone = plan.Window?.TimeZoneId,
            OccurrenceStart = plan.OccurrenceStart,
            BatchSize = plan.BatchSize,
            BatchSizeIsPercent = plan.BatchSizeIsPercent,
            CanaryHosts = canaries,
            MaxFailures = plan.MaxFailures,
            MaxFailuresIsPercent = plan.MaxFailuresIsPercent,
            RebootPolicy = plan.RebootPolicy,
            HostTimeoutMinutes = plan.HostTimeoutMinutes,
            RequiredApprovals = plan.RequiredApprovals,
            CreatedAt = plan.CreatedAt,
            UpdatedAt = plan.UpdatedAt,
            SubmittedAt = plan.SubmittedAt,
            ApprovalExpiresAt = plan.ApprovalExpiresAt,
            ManifestRevision = manifest?.Revision,
            ManifestCheckedAt = manifest?.CheckedAt,
            Decisions = decisions,
            Timeline = timeline,
            Runs = runs,
        };
    }

    /// <summary>The plan's input as stored, for the editor; null when the plan does not exist.</summary>
    public async Task<(PlanInput Input, PlanState State, int Revision)?> GetInputAsync(Guid planId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var plan = await db.PatchPlans.AsNoTracking().Include(p => p.TargetGroups).Include(p => p.TargetTags).Include(p => p.TargetHosts)
            .AsSplitQuery().SingleOrDefaultAsync(p => p.Id == planId, cancellationToken);
        return plan is null ? null : (PlanInput.From(plan), plan.State, plan.Revision);
    }

    /// <summary>The stored manifest flattened into table rows: one per change, one per host without changes or with an error.</summary>
    public async Task<IReadOnlyList<ManifestRow>> GetManifestAsync(Guid planId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var hosts = await db.PlanManifestHosts.AsNoTracking().Where(m => m.PlanId == planId).OrderBy(m => m.HostName).ToListAsync(cancellationToken);
        return hosts.SelectMany(h => h.Error is not null || h.Changes.Count == 0
                ? [new ManifestRow(h.HostId, h.HostName, null, null, null, h.RequiresReboot, h.Error)]
                : h.Changes.Select(c => new ManifestRow(h.HostId, h.HostName, c.Package, c.From, c.To, h.RequiresReboot, null)))
            .ToList();
    }

    public async Task<IReadOnlyList<GroupChoice>> GetGroupsAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.HostGroups.AsNoTracking().OrderBy(g => g.Name)
            .Select(g => new GroupChoice(g.Id, g.Name, g.RequiredApprovals, db.HostGroupMembers.Count(m => m.GroupId == g.Id)))
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<NamedRef>> GetTagsAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Tags.AsNoTracking().OrderBy(t => t.Name).Select(t => new NamedRef(t.Id, t.Name)).ToListAsync(cancellationToken);
    }

    /// <summary>Hosts whose name or address contains the text, for the host picker (at most <paramref name="limit"/>).</summary>
    public async Task<IReadOnlyList<NamedRef>> SearchHostsAsync(string? text, int limit, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var hosts = db.Hosts.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(text))
        {
            var term = text.Trim().ToUpperInvariant();
            hosts = hosts.Where(h => h.NormalizedName.Contains(term) || h.NormalizedAddress.Contains(term));
        }

        return await hosts.OrderBy(h => h.NormalizedName).Take(limit).Select(h => new NamedRef(h.Id, h.Name)).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<NamedRef>> GetHostsAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var list = ids.ToList();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Hosts.AsNoTracking().Where(h => list.Contains(h.Id)).OrderBy(h => h.NormalizedName)
            .Select(h => new NamedRef(h.Id, h.Name)).ToListAsync(cancellationToken);
    }

    public async Task<TargetPreview> PreviewTargetsAsync(TargetSet targets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.IsEmpty)
        {
            return new TargetPreview(0, [], 1);
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var hosts = db.Hosts.AsNoTracking().Targeted(targets);
        var count = await hosts.CountAsync(cancellationToken);
        var first = await hosts.OrderBy(h => h.NormalizedName).Take(PreviewHosts).Select(h => new NamedRef(h.Id, h.Name)).ToListAsync(cancellationToken);
        return new TargetPreview(count, first, await PlanService.RequiredApprovalsAsync(db, targets, cancellationToken));
    }

    public async Task<IReadOnlyList<WindowChoice>> GetWindowsAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.MaintenanceWindows.AsNoTracking().OrderBy(w => w.Name)
            .Select(w => new WindowChoice(w.Id, w.Name, w.TimeZoneId, w.Enabled)).ToListAsync(cancellationToken);
    }

    /// <summary>The window's next occurrences from now (at most <paramref name="count"/>, within a year).</summary>
    public async Task<IReadOnlyList<WindowOccurrence>> GetUpcomingOccurrencesAsync(Guid windowId, int count, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var window = await db.MaintenanceWindows.AsNoTracking().SingleOrDefaultAsync(w => w.Id == windowId, cancellationToken);
        if (window is null)
        {
            return [];
        }

        var now = time.GetUtcNow();
        return schedule.Occurrences(window, now, now.AddDays(366)).Where(o => o.Start > now).Take(count).ToList();
    }
}
