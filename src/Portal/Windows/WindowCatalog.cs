using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Windows;

/// <summary>Lists and changes maintenance windows; one DbContext per operation, every change audited with before and after.</summary>
public sealed class WindowCatalog(
    IDbContextFactory<PortalDbContext> factory,
    AuditLog audit,
    IMaintenanceSchedule schedule,
    CalendarChangeHub changes,
    TimeProvider time)
{
    public const string SortName = nameof(WindowRow.Name);
    public const string SortZone = nameof(WindowRow.TimeZoneId);
    public const string SortDuration = nameof(WindowRow.DurationMinutes);
    public const string SortEnabled = nameof(WindowRow.Enabled);

    public async Task<WindowResultPage> GetPageAsync(
        WindowFilter filter, string? sortBy, bool descending, int page, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var windows = db.MaintenanceWindows.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            var term = filter.Search.Trim();
            windows = windows.Where(w => w.Name.Contains(term) || (w.Description != null && w.Description.Contains(term)));
        }

        if (!string.IsNullOrWhiteSpace(filter.TimeZoneId))
        {
            windows = windows.Where(w => w.TimeZoneId == filter.TimeZoneId);
        }

        if (filter.GroupId is { } groupId)
        {
            windows = windows.Where(w => w.TargetGroups.Any(g => g.Id == groupId));
        }

        var total = await windows.CountAsync(cancellationToken);
        windows = (sortBy, descending) switch
        {
            (SortZone, false) => windows.OrderBy(w => w.TimeZoneId).ThenBy(w => w.Name),
            (SortZone, true) => windows.OrderByDescending(w => w.TimeZoneId).ThenBy(w => w.Name),
            (SortDuration, false) => windows.OrderBy(w => w.DurationMinutes).ThenBy(w => w.Name),
            (SortDuration, true) => windows.OrderByDescending(w => w.DurationMinutes).ThenBy(w => w.Name),
            (SortEnabled, false) => windows.OrderBy(w => w.Enabled).ThenBy(w => w.Name),
            (SortEnabled, true) => windows.OrderByDescending(w => w.Enabled).ThenBy(w => w.Name),
            (_, true) => windows.OrderByDescending(w => w.Name),
            _ => windows.OrderBy(w => w.Name),
        };
        var items = await windows
            .Include(w => w.TargetGroups).Include(w => w.TargetTags).Include(w => w.TargetHosts)
            .AsSplitQuery()
            .Skip(Math.Max(page, 0) * pageSize).Take(pageSize)
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        return new WindowResultPage(items.ConvertAll(w => new WindowRow(
            w.Id,
            w.Name,
            w.TimeZoneId,
            w.RecurrenceRule,
            w.DurationMinutes,
            w.CutoffMinutes,
            w.Enabled,
            TargetText.Describe(w.TargetGroups.Select(g => g.Name), w.TargetTags.Select(t => t.Name), w.TargetHosts.Select(h => h.Name)),
            schedule.NextOccurrence(w, now))), total);
    }

    /// <summary>The zones windows use, for the list's zone filter.</summary>
    public async Task<IReadOnlyList<string>> GetZonesAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.MaintenanceWindows.AsNoTracking().Select(w => w.TimeZoneId).Distinct().OrderBy(z => z).ToListAsync(cancellationToken);
    }

    public async Task<TargetOptions> GetTargetOptionsAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var groups = await db.HostGroups.AsNoTracking().OrderBy(g => g.Name).Select(g => new TargetOption(g.Id, g.Name)).ToListAsync(cancellationToken);
        var tags = await db.Tags.AsNoTracking().OrderBy(t => t.Name).Select(t => new TargetOption(t.Id, t.Name)).ToListAsync(cancellationToken);
        var hosts = await db.Hosts.AsNoTracking().OrderBy(h => h.Name).Select(h => new TargetOption(h.Id, h.Name)).ToListAsync(cancellationToken);
        return new TargetOptions(groups, tags, hosts);
    }

    public async Task<WindowDetails?> GetAsync(Guid windowId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var window = await WithTargets(db.MaintenanceWindows.AsNoTracking()).SingleOrDefaultAsync(w => w.Id == windowId, cancellationToken);
        if (window is null)
        {
            return null;
        }

        var input = new WindowInput(
            window.Name,
            window.Description,
            window.TimeZoneId,
            window.StartLocal,
            window.DurationMinutes,
            window.CutoffMinutes,
            window.RecurrenceRule,
            window.ExclusionDates.Order().ToList(),
            window.Enabled,
            TargetText.Of(window));
        return new WindowDetails(window.Id, input, window.CreatedBy, window.CreatedAt, window.UpdatedAt);
    }

    /// <summary>The window with its targets, for the schedule and the calendar; null when it does not exist.</summary>
    public async Task<MaintenanceWindow?> FindAsync(Guid windowId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await WithTargets(db.MaintenanceWindows.AsNoTracking()).SingleOrDefaultAsync(w => w.Id == windowId, cancellationToken);
    }

    public async Task<CalendarChangeResult> CreateAsync(WindowInput input, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(actor);
        var violations = WindowRules.Validate(input, time.GetUtcNow());
        if (violations.Count > 0)
        {
            return CalendarChangeResult.Invalid(violations);
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var window = input.ToWindow();
        if (await NameTakenAsync(db, window.Name, null, cancellationToken))
        {
            return CalendarChangeResult.Conflict(nameof(WindowInput.Name), $"A window named '{window.Name}' already exists.");
        }

        if (await SetTargetsAsync(db, window, input.Targets, cancellationToken) is { } missing)
        {
            return missing;
        }

        window.CreatedAt = window.UpdatedAt = time.GetUtcNow();
        window.CreatedBy = actor.Name;
        db.MaintenanceWindows.Add(window);
        await SaveAsync(db, AuditActions.WindowCreated, actor, window.Name, null, WindowAuditState.Of(window), cancellationToken);
        changes.Publish(new CalendarChanged(window.Id, "window"));
        return CalendarChangeResult.Ok(window.Id);
    }

    public async Task<CalendarChangeResult> UpdateAsync(Guid windowId, WindowInput input, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(actor);
        var violations = WindowRules.Validate(input, time.GetUtcNow());
        if (violations.Count > 0)
        {
            return CalendarChangeResult.Invalid(violations);
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await WithTargets(db.MaintenanceWindows).SingleOrDefaultAsync(w => w.Id == windowId, cancellationToken) is not { } window)
        {
            return CalendarChangeResult.NotFound("The window no longer exists.");
        }

        var values = input.ToWindow(windowId);
        if (await NameTakenAsync(db, values.Name, windowId, cancellationToken))
        {
            return CalendarChangeResult.Conflict(nameof(WindowInput.Name), $"A window named '{values.Name}' already exists.");
        }

        var before = WindowAuditState.Of(window);
        window.Name = values.Name;
        window.Description = values.Description;
        window.TimeZoneId = values.TimeZoneId;
        window.StartLocal = values.StartLocal;
        window.DurationMinutes = values.DurationMinutes;
        window.CutoffMinutes = values.CutoffMinutes;
        window.RecurrenceRule = values.RecurrenceRule;
        window.ExclusionDates = values.ExclusionDates;
        window.Enabled = values.Enabled;
        if (await SetTargetsAsync(db, window, input.Targets, cancellationToken) is { } missing)
        {
            return missing;
        }

        var after = WindowAuditState.Of(window);
        if (Same(before, after))
        {
            return CalendarChangeResult.Ok(windowId);
        }

        window.UpdatedAt = time.GetUtcNow();
        await SaveAsync(db, AuditActions.WindowEdited, actor, window.Name, before, after, cancellationToken);
        changes.Publish(new CalendarChanged(window.Id, "window"));
        return CalendarChangeResult.Ok(windowId);
    }

    /// <summary>Deletes a window, refused (naming the plans) while a plan still points at it.</summary>
    public async Task<CalendarChangeResult> DeleteAsync(Guid windowId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await WithTargets(db.MaintenanceWindows).SingleOrDefaultAsync(w => w.Id == windowId, cancellationToken) is not { } window)
        {
            return CalendarChangeResult.NotFound("The window no longer exists.");
        }

        var plans = await db.PatchPlans.AsNoTracking().Where(p => p.WindowId == windowId).OrderBy(p => p.Name).Select(p => p.Name).ToListAsync(cancellationToken);
        if (plans.Count > 0)
        {
            var named = string.Join(", ", plans.Take(5).Select(p => $"'{p}'")) + (plans.Count > 5 ? $" and {plans.Count - 5} more" : "");
            return CalendarChangeResult.Fail(
                $"The window '{window.Name}' cannot be deleted: {plans.Count} plan(s) use it ({named}). Move those plans to another window or delete them first.");
        }

        var before = WindowAuditState.Of(window);
        db.MaintenanceWindows.Remove(window);
        try
        {
            await SaveAsync(db, AuditActions.WindowDeleted, actor, window.Name, before, null, cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A plan chose this window between the check and the delete, and the Restrict key refused it; anything
            // else (a full disk, a lock) is not that, and is thrown as it is.
            db.ChangeTracker.Clear();
            if (!await db.PatchPlans.AnyAsync(p => p.WindowId == windowId, cancellationToken))
            {
                throw;
            }

            return CalendarChangeResult.Fail($"The window '{window.Name}' cannot be deleted: a plan now uses it.");
        }

        changes.Publish(new CalendarChanged(window.Id, "window"));
        return CalendarChangeResult.Ok(windowId);
    }

    internal static IQueryable<MaintenanceWindow> WithTargets(IQueryable<MaintenanceWindow> windows) =>
        windows.Include(w => w.TargetGroups).Include(w => w.TargetTags).Include(w => w.TargetHosts).AsSplitQuery();

    /// <summary>Replaces the window's targets with the chosen ones; a result when one of them has gone meanwhile.</summary>
    private static async Task<CalendarChangeResult?> SetTargetsAsync(PortalDbContext db, MaintenanceWindow window, TargetSet targets, CancellationToken cancellationToken)
    {
        var chosen = await CalendarTargets.LoadAsync(db, targets, cancellationToken);
        if (chosen is null)
        {
            return CalendarChangeResult.InvalidField(WindowRules.TargetsField, "A chosen group, tag or host no longer exists; choose the targets again.");
        }

        CalendarTargets.Replace(window.TargetGroups, chosen.Value.Groups);
        CalendarTargets.Replace(window.TargetTags, chosen.Value.Tags);
        CalendarTargets.Replace(window.TargetHosts, chosen.Value.Hosts);
        return null;
    }

    // Names are unique regardless of case; a portal has tens of windows, so comparing here is cheap and provider-neutral.
    private static async Task<bool> NameTakenAsync(PortalDbContext db, string name, Guid? except, CancellationToken cancellationToken)
    {
        var names = await db.MaintenanceWindows.AsNoTracking().Where(w => w.Id != except).Select(w => w.Name).ToListAsync(cancellationToken);
        return names.Exists(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
    }

    private static bool Same(WindowAuditState a, WindowAuditState b) =>
        System.Text.Json.JsonSerializer.Serialize(a) == System.Text.Json.JsonSerializer.Serialize(b);

    /// <summary>Saves the changes pending in <paramref name="db"/> with the audit entry that records them, in one transaction.</summary>
    private Task<long> SaveAsync(PortalDbContext db, string action, Actor actor, string target, object? before, object? after, CancellationToken cancellationToken) =>
        audit.SaveWithAsync(db, AuditEntry.By(actor, action, target) with { Before = before, After = after }, cancellationToken);
}

/// <summary>Loading and replacing the target collections of windows and blackouts.</summary>
internal static class CalendarTargets
{
    public static async Task<(List<HostGroup> Groups, List<Tag> Tags, List<ManagedHost> Hosts)?> LoadAsync(
        PortalDbContext db, TargetSet targets, CancellationToken cancellationToken)
    {
        var groupIds = targets.GroupIds.Distinct().ToList();
        var tagIds = targets.TagIds.Distinct().ToList();
        var hostIds = targets.HostIds.Distinct().ToList();
        var groups = await db.HostGroups.Where(g => groupIds.Contains(g.Id)).ToListAsync(cancellationToken);
        var tags = await db.Tags.Where(t => tagIds.Contains(t.Id)).ToListAsync(cancellationToken);
        var hosts = await db.Hosts.Where(h => hostIds.Contains(h.Id)).ToListAsync(cancellationToken);
        return groups.Count == groupIds.Count && tags.Count == tagIds.Count && hosts.Count == hostIds.Count ? (groups, tags, hosts) : null;
    }

    public static void Replace<T>(ICollection<T> current, IReadOnlyCollection<T> chosen)
    {
        foreach (var item in current.Except(chosen).ToList())
        {
            current.Remove(item);
        }

        foreach (var item in chosen.Except(current).ToList())
        {
            current.Add(item);
        }
    }
}
