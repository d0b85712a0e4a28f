using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Hosts;

/// <summary>Groups, tags and hosts chosen as the targets of a window, blackout or plan.</summary>
public sealed record TargetSet(IReadOnlyCollection<Guid> GroupIds, IReadOnlyCollection<Guid> TagIds, IReadOnlyCollection<Guid> HostIds)
{
    public static TargetSet Empty { get; } = new([], [], []);

    public bool IsEmpty => GroupIds.Count == 0 && TagIds.Count == 0 && HostIds.Count == 0;

    public static TargetSet Of(IEnumerable<HostGroup> groups, IEnumerable<Tag> tags, IEnumerable<ManagedHost> hosts) =>
        new(groups.Select(g => g.Id).ToList(), tags.Select(t => t.Id).ToList(), hosts.Select(h => h.Id).ToList());
}

/// <summary>Turns a target set into hosts: a host is targeted when it is named, or in a named group, or has a named tag.</summary>
public static class TargetResolution
{
    /// <summary>The query of targeted hosts, for callers to page, order or project in SQL.</summary>
    public static IQueryable<ManagedHost> Targeted(this IQueryable<ManagedHost> hosts, TargetSet targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var groupIds = targets.GroupIds.ToList();
        var tagIds = targets.TagIds.ToList();
        var hostIds = targets.HostIds.ToList();
        return hosts.Where(h => hostIds.Contains(h.Id)
            || h.Groups.Any(g => groupIds.Contains(g.Id))
            || h.Tags.Any(t => tagIds.Contains(t.Id)));
    }

    public static async Task<IReadOnlyList<ManagedHost>> ResolveAsync(this PortalDbContext db, TargetSet targets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return await db.Hosts.AsNoTracking().Targeted(targets).OrderBy(h => h.Name).ToListAsync(cancellationToken);
    }
}
