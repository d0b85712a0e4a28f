using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Hosts;

public sealed partial class HostCatalog
{
    /// <summary>
    /// Adds a host, then issues its first enrolment token (when enrolment is available) so the page can show the
    /// token and the command once.
    /// </summary>
    public async Task<HostChangeResult> AddAsync(HostInput input, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(actor);
        var errors = HostInputRules.Validate(input);
        if (errors.Count > 0)
        {
            return HostChangeResult.Invalid(errors);
        }

        var name = input.Name.Trim();
        var address = input.Address.Trim();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await FindDuplicateAsync(db, name, address, null, cancellationToken) is { } duplicate)
        {
            return duplicate;
        }

        var host = new ManagedHost { Name = name, Address = address, AgentPort = input.AgentPort, CreatedAt = time.GetUtcNow(), Health = HostHealth.PendingEnrolment, HealthReason = "waiting for the agent to enrol" };
        if (await ApplyGroupsAsync(db, host, input.GroupIds, replace: true, cancellationToken) is { } groupError)
        {
            return groupError;
        }

        await ApplyTagsAsync(db, host, input.Tags, replace: true, cancellationToken);
        db.Hosts.Add(host);
        var entry = Entry(AuditActions.HostAdded, actor, host.Name, null, HostAuditState.Of(host));
        if (await SaveOrConflictAsync(db, name, address, host.Id, () => audit.SaveWithAsync(db, entry, cancellationToken), cancellationToken) is { } conflict)
        {
            return conflict;
        }

        events.Publish(new HostChanged(host.Id, "added"));
        var ticket = enrollment is null ? null : await enrollment.IssueTokenAsync(host.Id, actor.Name, actor.SourceAddress, cancellationToken);
        return HostChangeResult.Ok(host.Id) with { Ticket = ticket };
    }

    /// <summary>Changes a host's name, address, port, groups and tags (groups and tags are replaced by the input's).</summary>
    public async Task<HostChangeResult> UpdateAsync(Guid hostId, HostInput input, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(actor);
        var errors = HostInputRules.Validate(input);
        if (errors.Count > 0)
        {
            return HostChangeResult.Invalid(errors);
        }

        var name = input.Name.Trim();
        var address = input.Address.Trim();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var host = await db.Hosts.Include(h => h.Groups).Include(h => h.Tags).SingleOrDefaultAsync(h => h.Id == hostId, cancellationToken);
        if (host is null)
        {
            return HostChangeResult.NotFound();
        }

        if (await FindDuplicateAsync(db, name, address, hostId, cancellationToken) is { } duplicate)
        {
            return duplicate;
        }

        var before = HostAuditState.Of(host);
        host.Name = name;
        host.Address = address;
        host.AgentPort = input.AgentPort;
        if (await ApplyGroupsAsync(db, host, input.GroupIds, replace: true, cancellationToken) is { } groupError)
        {
            return groupError;
        }

        await ApplyTagsAsync(db, host, input.Tags, replace: true, cancellationToken);
        var after = HostAuditState.Of(host);
        var changed = !Same(before, after);
        // The change and its audit entry are saved together: a full disk or a failing database leaves neither.
        var entry = Entry(AuditActions.HostEdited, actor, host.Name, before, after);
        Func<Task> save = changed ? () => audit.SaveWithAsync(db, entry, cancellationToken) : () => db.SaveChangesAsync(cancellationToken);
        if (await SaveOrConflictAsync(db, name, address, host.Id, save, cancellationToken) is { } conflict)
        {
            return conflict;
        }

        if (changed)
        {
            events.Publish(new HostChanged(host.Id, "edited"));
        }

        return HostChangeResult.Ok(host.Id);
    }

    /// <summary>Removes a host with its inventory, pending updates, health history and enrolment tokens.</summary>
    public async Task<HostChangeResult> RemoveAsync(Guid hostId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var host = await db.Hosts.Include(h => h.Groups).Include(h => h.Tags).SingleOrDefaultAsync(h => h.Id == hostId, cancellationToken);
        if (host is null)
        {
            return HostChangeResult.NotFound();
        }

        var before = new
        {
            host = HostAuditState.Of(host),
            installedPackages = await db.InstalledPackages.CountAsync(p => p.HostId == hostId, cancellationToken),
            pendingUpdates = await db.PendingUpdates.CountAsync(u => u.HostId == hostId, cancellationToken),
            healthSamples = await db.HealthSamples.CountAsync(s => s.HostId == hostId, cancellationToken),
        };
        db.Hosts.Remove(host);
        // The database cascades to the inventory rows (foreign keys with ON DELETE CASCADE).
        await audit.SaveWithAsync(db, Entry(AuditActions.HostRemoved, actor, host.Name, before, null), cancellationToken);
        events.Publish(new HostChanged(hostId, "removed"));
        return HostChangeResult.Ok(hostId);
    }

    /// <summary>Adds groups and tags to every selected host (what they already have stays); one audit entry per changed host.</summary>
    public async Task<HostChangeResult> AssignAsync(
        IReadOnlyCollection<Guid> hostIds, IReadOnlyCollection<Guid> groupIds, IReadOnlyCollection<string> tags, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hostIds);
        ArgumentNullException.ThrowIfNull(groupIds);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(actor);
        if (hostIds.Count == 0)
        {
            return HostChangeResult.Invalid("HostIds", "Select at least one host.");
        }

        if (groupIds.Count == 0 && tags.Count == 0)
        {
            return HostChangeResult.Invalid("GroupIds", "Choose a group or a tag to assign.");
        }

        if (tags.Select(HostInputRules.ValidateTag).FirstOrDefault(e => e is not null) is { } tagError)
        {
            return HostChangeResult.Invalid(nameof(HostInput.Tags), tagError);
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var hosts = await db.Hosts.Include(h => h.Groups).Include(h => h.Tags).Where(h => hostIds.Contains(h.Id)).ToListAsync(cancellationToken);
        var befores = hosts.ToDictionary(h => h.Id, HostAuditState.Of);
        foreach (var host in hosts)
        {
            if (await ApplyGroupsAsync(db, host, groupIds, replace: false, cancellationToken) is { } groupError)
            {
                return groupError;
            }

            await ApplyTagsAsync(db, host, tags, replace: false, cancellationToken);
        }

        var changed = hosts.Select(h => (Host: h, Before: befores[h.Id], After: HostAuditState.Of(h))).Where(c => !Same(c.Before, c.After)).ToList();
        await audit.SaveWithAsync(db, changed.ConvertAll(c => Entry(AuditActions.HostsAssigned, actor, c.Host.Name, c.Before, c.After)), cancellationToken);
        foreach (var (host, _, _) in changed)
        {
            events.Publish(new HostChanged(host.Id, "assigned"));
        }

        return HostChangeResult.Ok() with { Changed = changed.Count };
    }

    /// <summary>Replaces any unused token of the host with a new one (the enrolment service audits it).</summary>
    public async Task<HostChangeResult> IssueTokenAsync(Guid hostId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (enrollment is null)
        {
            return HostChangeResult.Fail("Enrolment is not available on this portal.");
        }

        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            if (!await db.Hosts.AnyAsync(h => h.Id == hostId, cancellationToken))
            {
                return HostChangeResult.NotFound();
            }
        }

        var ticket = await enrollment.IssueTokenAsync(hostId, actor.Name, actor.SourceAddress, cancellationToken);
        return HostChangeResult.Ok(hostId) with { Ticket = ticket };
    }

    private static async Task<HostChangeResult?> FindDuplicateAsync(PortalDbContext db, string name, string address, Guid? except, CancellationToken cancellationToken)
    {
        var normalizedName = name.ToUpperInvariant();
        var normalizedAddress = address.ToUpperInvariant();
        var clash = await db.Hosts.AsNoTracking()
            .Where(h => h.Id != except && (h.NormalizedName == normalizedName || h.NormalizedAddress == normalizedAddress))
            .Select(h => new { h.Name, h.Address, h.NormalizedName })
            .FirstOrDefaultAsync(cancellationToken);
        if (clash is null)
        {
            return null;
        }

        return clash.NormalizedName == normalizedName
            ? HostChangeResult.Conflict(nameof(HostInput.Name), $"A host named '{clash.Name}' already exists.")
            : HostChangeResult.Conflict(nameof(HostInput.Address), $"The address '{address}' already belongs to host '{clash.Name}'.");
    }

    // Two people adding the same host at once: the unique index decides, and the loser gets the same message.
    private static async Task<HostChangeResult?> SaveOrConflictAsync(PortalDbContext db, string name, string address, Guid hostId, Func<Task> save, CancellationToken cancellationToken)
    {
        try
        {
            await save();
            return null;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await FindDuplicateAsync(db, name, address, hostId, cancellationToken) is { } duplicate)
            {
                return duplicate;
            }

            throw;
        }
    }

    private static async Task<HostChangeResult?> ApplyGroupsAsync(
        PortalDbContext db, ManagedHost host, IReadOnlyCollection<Guid>? groupIds, bool replace, CancellationToken cancellationToken)
    {
        var wanted = (groupIds ?? []).Distinct().ToList();
        var groups = await db.HostGroups.Where(g => wanted.Contains(g.Id)).ToListAsync(cancellationToken);
        if (groups.Count != wanted.Count)
        {
            return HostChangeResult.Invalid(nameof(HostInput.GroupIds), "A selected group no longer exists; reload and choose again.");
        }

        if (replace)
        {
            foreach (var gone in host.Groups.Where(g => !wanted.Contains(g.Id)).ToList())
            {
                host.Groups.Remove(gone);
            }
        }

        foreach (var group in groups.Where(g => host.Groups.All(existing => existing.Id != g.Id)))
        {
            host.Groups.Add(group);
        }

        return null;
    }

    private static async Task ApplyTagsAsync(PortalDbContext db, ManagedHost host, IReadOnlyCollection<string>? tags, bool replace, CancellationToken cancellationToken)
    {
        var wanted = (tags ?? []).Select(HostInputRules.NormalizeTag).Distinct(StringComparer.Ordinal).ToList();
        if (replace)
        {
            foreach (var gone in host.Tags.Where(t => !wanted.Contains(t.Name)).ToList())
            {
                host.Tags.Remove(gone);
            }
        }

        var existing = await db.Tags.Where(t => wanted.Contains(t.Name)).ToListAsync(cancellationToken);
        foreach (var name in wanted.Where(n => host.Tags.All(t => t.Name != n)))
        {
            var tag = existing.Find(t => t.Name == name) ?? db.Tags.Local.FirstOrDefault(t => t.Name == name);
            if (tag is null)
            {
                tag = new Tag { Name = name };
                db.Tags.Add(tag);
            }

            host.Tags.Add(tag);
        }
    }

    private static bool Same(HostAuditState a, HostAuditState b) =>
        a.Name == b.Name && a.Address == b.Address && a.AgentPort == b.AgentPort
        && a.Groups.SequenceEqual(b.Groups, StringComparer.Ordinal) && a.Tags.SequenceEqual(b.Tags, StringComparer.Ordinal);

    private static AuditEntry Entry(string action, Actor actor, string target, object? before, object? after) =>
        AuditEntry.By(actor, action, target) with { Before = before, After = after };
}
