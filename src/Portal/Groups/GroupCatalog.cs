using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Groups;

/// <summary>A group as the Groups page lists it, with its number of hosts.</summary>
public sealed record GroupRow(Guid Id, string Name, string? Description, GroupEnvironment Environment, int RequiredApprovals, int HostCount);

/// <summary>What the group dialog collects.</summary>
public sealed record GroupInput(string Name, string? Description, GroupEnvironment Environment, int RequiredApprovals);

public sealed record GroupResultPage(IReadOnlyList<GroupRow> Items, int Total);

/// <summary>The outcome of a group change; <see cref="HostCount"/> tells a refused delete how many hosts are still members.</summary>
public sealed record GroupChangeResult(bool Succeeded, string? Error = null, string? Field = null)
{
    public int HostCount { get; init; }

    /// <summary>The id of the group a create made.</summary>
    public Guid? GroupId { get; init; }

    public static GroupChangeResult Ok() => new(true);

    /// <summary>Why the change failed, for the API's status code.</summary>
    public ChangeStatus Status { get; init; }

    public static GroupChangeResult Fail(string error, string? field = null, ChangeStatus status = ChangeStatus.Conflict) =>
        new(false, error, field) { Status = status };

    public static GroupChangeResult NotFound() => Fail("The group no longer exists.", status: ChangeStatus.NotFound);
}

/// <summary>The rules for a group's fields, shared by <see cref="GroupCatalog"/> and the group dialog.</summary>
public static class GroupInputRules
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 1000;
    public const int MinApprovals = 1;
    public const int MaxApprovals = 3;

    /// <summary>Production asks a second pair of eyes by default; the other stages one approval.</summary>
    public static int DefaultApprovals(GroupEnvironment environment) => environment == GroupEnvironment.Production ? 2 : 1;

    public static string? ValidateName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "Enter a name.";
        }

        name = name.Trim();
        if (name.Length > MaxNameLength)
        {
            return $"A name has at most {MaxNameLength} characters.";
        }

        return name.All(c => char.IsLetterOrDigit(c) || c is ' ' or '.' or '-' or '_')
            ? null
            : "Use only letters, digits, spaces, dots, hyphens and underscores.";
    }

    public static string? ValidateDescription(string? description) =>
        description is { Length: > MaxDescriptionLength } ? $"A description has at most {MaxDescriptionLength} characters." : null;

    public static string? ValidateApprovals(int approvals) =>
        approvals is >= MinApprovals and <= MaxApprovals ? null : $"Between {MinApprovals} and {MaxApprovals} approvals.";

    public static string? ValidateEnvironment(GroupEnvironment environment) =>
        Enum.IsDefined(environment) ? null : "Choose an environment.";

    public static (string Field, string Error)? Validate(GroupInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (ValidateName(input.Name) is { } name)
        {
            return (nameof(GroupInput.Name), name);
        }

        if (ValidateDescription(input.Description) is { } description)
        {
            return (nameof(GroupInput.Description), description);
        }

        if (ValidateEnvironment(input.Environment) is { } environment)
        {
            return (nameof(GroupInput.Environment), environment);
        }

        return ValidateApprovals(input.RequiredApprovals) is { } approvals ? (nameof(GroupInput.RequiredApprovals), approvals) : null;
    }
}

/// <summary>Lists and changes host groups; one DbContext per operation, every change audited.</summary>
public sealed class GroupCatalog(IDbContextFactory<PortalDbContext> factory, AuditLog audit, HostEventHub events)
{
    public async Task<GroupResultPage> GetPageAsync(string? search, string? sortBy, bool descending, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var groups = db.HostGroups.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            groups = groups.Where(g => g.Name.Contains(term) || (g.Description != null && g.Description.Contains(term)));
        }

        var total = await groups.CountAsync(cancellationToken);
        var rows = groups.Select(g => new
        {
            g.Id,
            g.Name,
            g.Description,
            g.Environment,
            g.RequiredApprovals,
            HostCount = db.HostGroupMembers.Count(m => m.GroupId == g.Id),
        });
        rows = (sortBy, descending) switch
        {
            (nameof(GroupRow.Environment), false) => rows.OrderBy(r => r.Environment).ThenBy(r => r.Name),
            (nameof(GroupRow.Environment), true) => rows.OrderByDescending(r => r.Environment).ThenBy(r => r.Name),
            (nameof(GroupRow.RequiredApprovals), false) => rows.OrderBy(r => r.RequiredApprovals).ThenBy(r => r.Name),
            (nameof(GroupRow.RequiredApprovals), true) => rows.OrderByDescending(r => r.RequiredApprovals).ThenBy(r => r.Name),
            (nameof(GroupRow.HostCount), false) => rows.OrderBy(r => r.HostCount).ThenBy(r => r.Name),
            (nameof(GroupRow.HostCount), true) => rows.OrderByDescending(r => r.HostCount).ThenBy(r => r.Name),
            (_, true) => rows.OrderByDescending(r => r.Name),
            _ => rows.OrderBy(r => r.Name),
        };
        var items = await rows.Skip(Math.Max(page, 0) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return new GroupResultPage(items.ConvertAll(r => new GroupRow(r.Id, r.Name, r.Description, r.Environment, r.RequiredApprovals, r.HostCount)), total);
    }

    /// <summary>One group with its host count, or null when there is no such group.</summary>
    public async Task<GroupRow?> GetAsync(Guid groupId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.HostGroups.AsNoTracking().Where(g => g.Id == groupId)
            .Select(g => new GroupRow(g.Id, g.Name, g.Description, g.Environment, g.RequiredApprovals, db.HostGroupMembers.Count(m => m.GroupId == g.Id)))
            .SingleOrDefaultAsync(cancellationToken);
    }

    public async Task<GroupChangeResult> CreateAsync(GroupInput input, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(actor);
        if (GroupInputRules.Validate(input) is { } invalid)
        {
            return GroupChangeResult.Fail(invalid.Error, invalid.Field, ChangeStatus.Invalid);
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var name = input.Name.Trim();
        if (await NameTakenAsync(db, name, null, cancellationToken))
        {
            return GroupChangeResult.Fail($"A group named '{name}' already exists.", nameof(GroupInput.Name));
        }

        var group = new HostGroup
        {
            Name = name,
            Description = Blank(input.Description),
            Environment = input.Environment,
            RequiredApprovals = input.RequiredApprovals,
        };
        db.HostGroups.Add(group);
        await SaveAsync(db, AuditActions.GroupCreated, actor, name, null, State(group), cancellationToken);
        return GroupChangeResult.Ok() with { GroupId = group.Id };
    }

    public async Task<GroupChangeResult> UpdateAsync(Guid groupId, GroupInput input, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(actor);
        if (GroupInputRules.Validate(input) is { } invalid)
        {
            return GroupChangeResult.Fail(invalid.Error, invalid.Field, ChangeStatus.Invalid);
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await db.HostGroups.SingleOrDefaultAsync(g => g.Id == groupId, cancellationToken) is not { } group)
        {
            return GroupChangeResult.NotFound();
        }

        var name = input.Name.Trim();
        if (await NameTakenAsync(db, name, groupId, cancellationToken))
        {
            return GroupChangeResult.Fail($"A group named '{name}' already exists.", nameof(GroupInput.Name));
        }

        var before = State(group);
        group.Name = name;
        group.Description = Blank(input.Description);
        group.Environment = input.Environment;
        group.RequiredApprovals = input.RequiredApprovals;
        var after = State(group);
        if (before == after)
        {
            return GroupChangeResult.Ok();
        }

        await SaveAsync(db, AuditActions.GroupEdited, actor, name, before, after, cancellationToken);
        return GroupChangeResult.Ok();
    }

    /// <summary>
    /// Deletes a group. A group with hosts is refused (with the count) unless <paramref name="detachHosts"/> says
    /// the caller confirmed that its hosts leave it; the hosts themselves stay.
    /// </summary>
    public async Task<GroupChangeResult> DeleteAsync(Guid groupId, bool detachHosts, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await db.HostGroups.SingleOrDefaultAsync(g => g.Id == groupId, cancellationToken) is not { } group)
        {
            return GroupChangeResult.NotFound();
        }

        var members = await db.HostGroupMembers.Where(m => m.GroupId == groupId)
            .Join(db.Hosts, m => m.HostId, h => h.Id, (m, h) => new { h.Id, h.Name }).OrderBy(h => h.Name).ToListAsync(cancellationToken);
        if (members.Count > 0 && !detachHosts)
        {
            return GroupChangeResult.Fail($"The group '{group.Name}' still has {members.Count} host(s); confirm to detach them.") with { HostCount = members.Count };
        }

        var before = new { group = State(group), hosts = members.ConvertAll(m => m.Name) };
        db.HostGroups.Remove(group);
        await SaveAsync(db, AuditActions.GroupDeleted, actor, group.Name, before, null, cancellationToken);
        foreach (var member in members)
        {
            events.Publish(new HostChanged(member.Id, "groups"));
        }

        return GroupChangeResult.Ok() with { HostCount = members.Count };
    }

    // Group names are unique regardless of case ("Web" and "web" would be one group to a person reading a plan).
    // A fleet has tens of groups, not thousands: comparing their names here is cheap and provider-neutral.
    private static async Task<bool> NameTakenAsync(PortalDbContext db, string name, Guid? except, CancellationToken cancellationToken)
    {
        var names = await db.HostGroups.AsNoTracking().Where(g => g.Id != except).Select(g => g.Name).ToListAsync(cancellationToken);
        return names.Exists(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static GroupAuditState State(HostGroup group) =>
        new(group.Name, group.Description, group.Environment.ToString(), group.RequiredApprovals);

    /// <summary>Saves the changes pending in <paramref name="db"/> with the audit entry that records them, in one transaction.</summary>
    private Task<long> SaveAsync(PortalDbContext db, string action, Actor actor, string target, object? before, object? after, CancellationToken cancellationToken) =>
        audit.SaveWithAsync(db, AuditEntry.By(actor, action, target) with { Before = before, After = after }, cancellationToken);

    private sealed record GroupAuditState(string Name, string? Description, string Environment, int RequiredApprovals);
}
