using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;

namespace PatchPortal.Portal.Windows;

public enum CalendarEntryKind
{
    Window,
    Blackout,
}

/// <summary>One thing on the calendar: a window occurrence (with its own zone) or a blackout span.</summary>
public sealed record CalendarEntry(
    CalendarEntryKind Kind,
    Guid Id,
    string Name,
    DateTimeOffset Start,
    DateTimeOffset End,
    string? TimeZoneId = null,
    string? Adjustment = null,
    string? Detail = null)
{
    public bool Overlaps(DateTimeOffset from, DateTimeOffset to) => Start < to && End > from;
}

/// <summary>A plan scheduled into an occurrence (by its timing, its chosen occurrence, or a run of it).</summary>
public sealed record ScheduledPlan(Guid Id, string Name, PlanState State, PlanTiming Timing, bool HasRun);

/// <summary>What the occurrence dialog shows: the occurrence, the hosts it targets now, its plans and the blackouts over it.</summary>
public sealed record OccurrenceDetails(
    WindowOccurrence Occurrence,
    string Targets,
    IReadOnlyList<TargetOption> Hosts,
    IReadOnlyList<ScheduledPlan> Plans,
    IReadOnlyList<CalendarEntry> Blackouts);

/// <summary>The calendar's reads: every occurrence of every enabled window and every blackout in a range, optionally for one group.</summary>
public sealed class CalendarQuery(IDbContextFactory<PortalDbContext> factory, IMaintenanceSchedule schedule)
{
    /// <summary>Entries overlapping [<paramref name="from"/>, <paramref name="to"/>), blackouts first, then by start.</summary>
    public async Task<IReadOnlyList<CalendarEntry>> GetEntriesAsync(DateTimeOffset from, DateTimeOffset to, Guid? groupId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var windows = db.MaintenanceWindows.AsNoTracking().Where(w => w.Enabled);
        var blackouts = db.Blackouts.AsNoTracking().Where(b => b.StartsAt < to && b.EndsAt > from);
        if (groupId is { } group)
        {
            // A group is concerned when it is named, or when a named host or tag reaches one of its hosts.
            windows = windows.Where(w => w.TargetGroups.Any(g => g.Id == group)
                || w.TargetHosts.Any(h => h.Groups.Any(g => g.Id == group))
                || w.TargetTags.Any(t => t.Hosts.Any(h => h.Groups.Any(g => g.Id == group))));
            blackouts = blackouts.Where(b => b.AppliesToAll
                || b.TargetGroups.Any(g => g.Id == group)
                || b.TargetHosts.Any(h => h.Groups.Any(g => g.Id == group))
                || b.TargetTags.Any(t => t.Hosts.Any(h => h.Groups.Any(g => g.Id == group))));
        }

        var entries = new List<CalendarEntry>();
        foreach (var blackout in await BlackoutCatalog.WithTargets(blackouts).OrderBy(b => b.StartsAt).ToListAsync(cancellationToken))
        {
            entries.Add(ToEntry(blackout));
        }

        var occurrences = new List<CalendarEntry>();
        foreach (var window in await WindowCatalog.WithTargets(windows).ToListAsync(cancellationToken))
        {
            var targets = TargetText.Describe(window.TargetGroups.Select(g => g.Name), window.TargetTags.Select(t => t.Name), window.TargetHosts.Select(h => h.Name));
            occurrences.AddRange(schedule.Occurrences(window, from, to).Select(o =>
                new CalendarEntry(CalendarEntryKind.Window, window.Id, window.Name, o.Start, o.End, o.TimeZoneId, o.Adjustment, targets)));
        }

        entries.AddRange(occurrences.OrderBy(o => o.Start).ThenBy(o => o.Name, StringComparer.OrdinalIgnoreCase));
        return entries;
    }

    /// <summary>The occurrence of a window starting at <paramref name="start"/> with its hosts and plans; null when there is none.</summary>
    public async Task<OccurrenceDetails?> GetOccurrenceAsync(Guid windowId, DateTimeOffset start, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var window = await WindowCatalog.WithTargets(db.MaintenanceWindows.AsNoTracking()).SingleOrDefaultAsync(w => w.Id == windowId, cancellationToken);
        if (window is null || schedule.OccurrenceStartingAt(window, start) is not { } occurrence)
        {
            return null;
        }

        var hosts = await db.Hosts.AsNoTracking().Targeted(TargetText.Of(window))
            .OrderBy(h => h.Name).Select(h => new TargetOption(h.Id, h.Name)).ToListAsync(cancellationToken);

        var runPlanIds = await db.PatchRuns.AsNoTracking()
            .Where(r => r.OccurrenceStart == occurrence.Start && r.Plan!.WindowId == windowId)
            .Select(r => r.PlanId).Distinct().ToListAsync(cancellationToken);
        // A "next occurrence" plan that has already been pinned to another occurrence does not belong here.
        var plans = await db.PatchPlans.AsNoTracking()
            .Where(p => p.WindowId == windowId && (p.Timing == PlanTiming.EveryOccurrence
                || p.OccurrenceStart == occurrence.Start
                || runPlanIds.Contains(p.Id)
                || (p.Timing == PlanTiming.NextOccurrence && p.OccurrenceStart == null)))
            .OrderBy(p => p.Name)
            .Select(p => new { p.Id, p.Name, p.State, p.Timing })
            .ToListAsync(cancellationToken);

        var blackouts = await BlackoutCatalog.WithTargets(db.Blackouts.AsNoTracking().Where(b => b.StartsAt < occurrence.End && b.EndsAt > occurrence.Start))
            .OrderBy(b => b.StartsAt).ToListAsync(cancellationToken);

        return new OccurrenceDetails(
            occurrence,
            TargetText.Describe(window.TargetGroups.Select(g => g.Name), window.TargetTags.Select(t => t.Name), window.TargetHosts.Select(h => h.Name)),
            hosts,
            plans.ConvertAll(p => new ScheduledPlan(p.Id, p.Name, p.State, p.Timing, runPlanIds.Contains(p.Id))),
            blackouts.ConvertAll(ToEntry));
    }

    /// <summary>The windows, by name, for the per-window feed URLs.</summary>
    public async Task<IReadOnlyList<TargetOption>> GetWindowsAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.MaintenanceWindows.AsNoTracking().OrderBy(w => w.Name).Select(w => new TargetOption(w.Id, w.Name)).ToListAsync(cancellationToken);
    }

    /// <summary>The groups the calendar can be filtered by.</summary>
    public async Task<IReadOnlyList<TargetOption>> GetGroupsAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.HostGroups.AsNoTracking().OrderBy(g => g.Name).Select(g => new TargetOption(g.Id, g.Name)).ToListAsync(cancellationToken);
    }

    private static CalendarEntry ToEntry(Blackout blackout) =>
        new(CalendarEntryKind.Blackout, blackout.Id, blackout.Name, blackout.StartsAt, blackout.EndsAt, null, null,
            (blackout.Reason is null ? "" : blackout.Reason.TrimEnd('.') + ". ") + "Applies to " + BlackoutCatalog.Describe(blackout));
}
