using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Windows;

/// <summary>What the blackout dialog collects; the span is absolute (the dialog converts from the viewer's zone).</summary>
public sealed record BlackoutInput(string Name, string? Reason, DateTimeOffset StartsAt, DateTimeOffset EndsAt, bool AppliesToAll, TargetSet Targets);

public sealed record BlackoutRow(Guid Id, string Name, string? Reason, DateTimeOffset StartsAt, DateTimeOffset EndsAt, bool AppliesToAll, string Targets);

public sealed record BlackoutResultPage(IReadOnlyList<BlackoutRow> Items, int Total);

public sealed record BlackoutDetails(Guid Id, BlackoutInput Input);

/// <summary>The rules a blackout must satisfy, each refusal with its message and field.</summary>
public static class BlackoutRules
{
    public const int MaxNameLength = 100;
    public const int MaxReasonLength = 1000;

    public static IReadOnlyList<RuleViolation> Validate(BlackoutInput input, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(input);
        var violations = new List<RuleViolation>();
        if (string.IsNullOrWhiteSpace(input.Name))
        {
            violations.Add(new(nameof(BlackoutInput.Name), "Enter a name."));
        }
        else if (input.Name.Trim().Length > MaxNameLength)
        {
            violations.Add(new(nameof(BlackoutInput.Name), $"A name has at most {MaxNameLength} characters."));
        }

        if (input.Reason is { Length: > MaxReasonLength })
        {
            violations.Add(new(nameof(BlackoutInput.Reason), $"A reason has at most {MaxReasonLength} characters."));
        }

        if (input.EndsAt <= input.StartsAt)
        {
            violations.Add(new(nameof(BlackoutInput.EndsAt), "The end must be after the start."));
        }
        else if (input.EndsAt <= now)
        {
            violations.Add(new(nameof(BlackoutInput.EndsAt), "This blackout would already be over: choose an end in the future."));
        }

        if (!input.AppliesToAll && (input.Targets is null || input.Targets.IsEmpty))
        {
            violations.Add(new(WindowRules.TargetsField, "Choose everything, or at least one group, tag or host the blackout applies to."));
        }

        return violations;
    }
}

/// <summary>Lists and changes blackouts; every change audited with before and after.</summary>
public sealed class BlackoutCatalog(IDbContextFactory<PortalDbContext> factory, AuditLog audit, CalendarChangeHub changes, TimeProvider time)
{
    public const string SortName = nameof(BlackoutRow.Name);
    public const string SortStart = nameof(BlackoutRow.StartsAt);
    public const string SortEnd = nameof(BlackoutRow.EndsAt);

    public async Task<BlackoutResultPage> GetPageAsync(string? search, string? sortBy, bool descending, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var blackouts = db.Blackouts.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            blackouts = blackouts.Where(b => b.Name.Contains(term) || (b.Reason != null && b.Reason.Contains(term)));
        }

        var total = await blackouts.CountAsync(cancellationToken);
        blackouts = (sortBy, descending) switch
        {
            (SortName, false) => blackouts.OrderBy(b => b.Name),
            (SortName, true) => blackouts.OrderByDescending(b => b.Name),
            (SortEnd, false) => blackouts.OrderBy(b => b.EndsAt).ThenBy(b => b.Name),
            (SortEnd, true) => blackouts.OrderByDescending(b => b.EndsAt).ThenBy(b => b.Name),
            (_, true) => blackouts.OrderByDescending(b => b.StartsAt).ThenBy(b => b.Name),
            _ => blackouts.OrderBy(b => b.StartsAt).ThenBy(b => b.Name),
        };
        var items = await WithTargets(blackouts).Skip(Math.Max(page, 0) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return new BlackoutResultPage(items.ConvertAll(b => new BlackoutRow(b.Id, b.Name, b.Reason, b.StartsAt, b.EndsAt, b.AppliesToAll, Describe(b))), total);
    }

    public async Task<BlackoutDetails?> GetAsync(Guid blackoutId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var blackout = await WithTargets(db.Blackouts.AsNoTracking()).SingleOrDefaultAsync(b => b.Id == blackoutId, cancellationToken);
        return blackout is null
            ? null
            : new BlackoutDetails(blackout.Id, new BlackoutInput(blackout.Name, blackout.Reason, blackout.StartsAt, blackout.EndsAt, blackout.AppliesToAll,
                TargetSet.Of(blackout.TargetGroups, blackout.TargetTags, blackout.TargetHosts)));
    }

    public async Task<CalendarChangeResult> CreateAsync(BlackoutInput input, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(actor);
        var violations = BlackoutRules.Validate(input, time.GetUtcNow());
        if (violations.Count > 0)
        {
            return CalendarChangeResult.Invalid(violations);
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var blackout = new Blackout { Name = input.Name.Trim(), CreatedAt = time.GetUtcNow(), CreatedBy = actor.Name };
        if (await ApplyAsync(db, blackout, input, cancellationToken) is { } missing)
        {
            return missing;
        }

        db.Blackouts.Add(blackout);
        await SaveAsync(db, AuditActions.BlackoutCreated, actor, blackout.Name, null, State(blackout), cancellationToken);
        changes.Publish(new CalendarChanged(blackout.Id, "blackout"));
        return CalendarChangeResult.Ok(blackout.Id);
    }

    public async Task<CalendarChangeResult> UpdateAsync(Guid blackoutId, BlackoutInput input, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(actor);
        var violations = BlackoutRules.Validate(input, time.GetUtcNow());
        if (violations.Count > 0)
        {
            return CalendarChangeResult.Invalid(violations);
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await WithTargets(db.Blackouts).SingleOrDefaultAsync(b => b.Id == blackoutId, cancellationToken) is not { } blackout)
        {
            return CalendarChangeResult.NotFound("The blackout no longer exists.");
        }

        var before = State(blackout);
        if (await ApplyAsync(db, blackout, input, cancellationToken) is { } missing)
        {
            return missing;
        }

        var after = State(blackout);
        if (before == after)
        {
            return CalendarChangeResult.Ok(blackoutId);
        }

        await SaveAsync(db, AuditActions.BlackoutEdited, actor, blackout.Name, before, after, cancellationToken);
        changes.Publish(new CalendarChanged(blackout.Id, "blackout"));
        return CalendarChangeResult.Ok(blackoutId);
    }

    public async Task<CalendarChangeResult> DeleteAsync(Guid blackoutId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await WithTargets(db.Blackouts).SingleOrDefaultAsync(b => b.Id == blackoutId, cancellationToken) is not { } blackout)
        {
            return CalendarChangeResult.NotFound("The blackout no longer exists.");
        }

        var before = State(blackout);
        db.Blackouts.Remove(blackout);
        await SaveAsync(db, AuditActions.BlackoutDeleted, actor, blackout.Name, before, null, cancellationToken);
        changes.Publish(new CalendarChanged(blackout.Id, "blackout"));
        return CalendarChangeResult.Ok(blackoutId);
    }

    internal static IQueryable<Blackout> WithTargets(IQueryable<Blackout> blackouts) =>
        blackouts.Include(b => b.TargetGroups).Include(b => b.TargetTags).Include(b => b.TargetHosts).AsSplitQuery();

    internal static string Describe(Blackout blackout) => blackout.AppliesToAll
        ? "everything"
        : TargetText.Describe(blackout.TargetGroups.Select(g => g.Name), blackout.TargetTags.Select(t => t.Name), blackout.TargetHosts.Select(h => h.Name));

    private static async Task<CalendarChangeResult?> ApplyAsync(PortalDbContext db, Blackout blackout, BlackoutInput input, CancellationToken cancellationToken)
    {
        // "Everything" ignores the target collections; keeping stale ones would confuse the next edit.
        var targets = input.AppliesToAll ? TargetSet.Empty : input.Targets;
        var chosen = await CalendarTargets.LoadAsync(db, targets, cancellationToken);
        if (chosen is null)
        {
            return CalendarChangeResult.InvalidField(WindowRules.TargetsField, "A chosen group, tag or host no longer exists; choose the targets again.");
        }

        blackout.Name = input.Name.Trim();
        blackout.Reason = string.IsNullOrWhiteSpace(input.Reason) ? null : input.Reason.Trim();
        blackout.StartsAt = input.StartsAt.ToUniversalTime();
        blackout.EndsAt = input.EndsAt.ToUniversalTime();
        blackout.AppliesToAll = input.AppliesToAll;
        CalendarTargets.Replace(blackout.TargetGroups, chosen.Value.Groups);
        CalendarTargets.Replace(blackout.TargetTags, chosen.Value.Tags);
        CalendarTargets.Replace(blackout.TargetHosts, chosen.Value.Hosts);
        return null;
    }

    private static BlackoutAuditState State(Blackout blackout) =>
        new(blackout.Name, blackout.Reason, blackout.StartsAt, blackout.EndsAt, blackout.AppliesToAll ? "everything" : Describe(blackout));

    /// <summary>Saves the changes pending in <paramref name="db"/> with the audit entry that records them, in one transaction.</summary>
    private Task<long> SaveAsync(PortalDbContext db, string action, Actor actor, string target, object? before, object? after, CancellationToken cancellationToken) =>
        audit.SaveWithAsync(db, AuditEntry.By(actor, action, target) with { Before = before, After = after }, cancellationToken);

    private sealed record BlackoutAuditState(string Name, string? Reason, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string Targets);
}
