using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Inventory;

namespace PatchPortal.Portal.Hosts;

/// <summary>
/// Reads and changes hosts for the host pages. Every operation opens its own DbContext (a circuit outlives any
/// unit of work); filtering, sorting and paging run in SQL. Every change is audited and published on
/// <see cref="HostEventHub"/>. Enrolment and refresh are seams filled elsewhere: without them registered the
/// catalog still manages hosts, and <see cref="CanEnroll"/> / <see cref="CanRefresh"/> say so.
/// </summary>
public sealed partial class HostCatalog(
    IDbContextFactory<PortalDbContext> factory,
    AuditLog audit,
    HostEventHub events,
    TimeProvider time,
    IOptions<HostsOptions> options,
    IHostEnrollment? enrollment = null,
    IHostRefreshScheduler? refresh = null)
{
    public const int HealthHistoryLength = 50;

    public bool CanEnroll => enrollment is not null;

    public bool CanRefresh => refresh is not null;

    /// <summary>Inventory refreshed before this instant is stale.</summary>
    public DateTimeOffset StaleBefore => time.GetUtcNow().AddHours(-options.Value.StaleAfterHours);

    public int StaleAfterHours => options.Value.StaleAfterHours;

    public async Task<HostResultPage> GetPageAsync(HostFilter filter, HostSort sort, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var total = await Filter(db.Hosts.AsNoTracking(), filter, StaleBefore).CountAsync(cancellationToken);
        var items = await PageQuery(db, filter, sort, page, pageSize, StaleBefore).ToListAsync(cancellationToken);
        return new HostResultPage(items, total);
    }

    /// <summary>One page of the list as a query; public so a test can check that all of it runs in SQL.</summary>
    public static IQueryable<HostRow> PageQuery(PortalDbContext db, HostFilter filter, HostSort sort, int page, int pageSize, DateTimeOffset staleBefore)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(sort);
        var query = Order(Filter(db.Hosts.AsNoTracking(), filter, staleBefore), sort);
        return query.Skip(Math.Max(page, 0) * pageSize).Take(pageSize).Select(h => new HostRow(
            h.Id, h.Name, h.Address, h.AgentPort, h.OsName, h.OsVersion, h.Health, h.HealthReason, h.LastSeenAt, h.RebootRequired,
            h.PendingSecurityCount, h.PendingOtherCount, h.InventoryRefreshedAt,
            h.Groups.OrderBy(g => g.Name).Select(g => g.Name).ToList(),
            h.Tags.OrderBy(t => t.Name).Select(t => t.Name).ToList()));
    }

    public static IQueryable<ManagedHost> Filter(IQueryable<ManagedHost> hosts, HostFilter filter, DateTimeOffset staleBefore)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            // The normalized columns are upper-case copies: a case-insensitive match on any provider.
            var term = filter.Search.Trim().ToUpperInvariant();
            hosts = hosts.Where(h => h.NormalizedName.Contains(term) || h.NormalizedAddress.Contains(term));
        }

        if (!string.IsNullOrWhiteSpace(filter.Group))
        {
            var group = filter.Group.Trim();
            hosts = hosts.Where(h => h.Groups.Any(g => g.Name == group));
        }

        if (!string.IsNullOrWhiteSpace(filter.Tag))
        {
            var tag = HostInputRules.NormalizeTag(filter.Tag);
            hosts = hosts.Where(h => h.Tags.Any(t => t.Name == tag));
        }

        if (!string.IsNullOrWhiteSpace(filter.Os))
        {
            var os = filter.Os.Trim();
            hosts = hosts.Where(h => h.OsName == os);
        }

        if (filter.Health is { } health)
        {
            hosts = hosts.Where(h => h.Health == health);
        }

        if (filter.SecurityUpdates)
        {
            hosts = hosts.Where(h => h.PendingSecurityCount > 0);
        }

        if (filter.RebootRequired)
        {
            hosts = hosts.Where(h => h.RebootRequired);
        }

        if (filter.Stale)
        {
            hosts = hosts.Where(h => h.InventoryRefreshedAt == null || h.InventoryRefreshedAt < staleBefore);
        }

        return hosts;
    }

    private static IOrderedQueryable<ManagedHost> Order(IQueryable<ManagedHost> hosts, HostSort sort)
    {
        // Worst health first when sorting by health ascending: the order an operator reads in.
        IOrderedQueryable<ManagedHost> ordered = (sort.By, sort.Descending) switch
        {
            (HostSort.Address, false) => hosts.OrderBy(h => h.NormalizedAddress),
            (HostSort.Address, true) => hosts.OrderByDescending(h => h.NormalizedAddress),
            (HostSort.Os, false) => hosts.OrderBy(h => h.OsName).ThenBy(h => h.OsVersion),
            (HostSort.Os, true) => hosts.OrderByDescending(h => h.OsName).ThenByDescending(h => h.OsVersion),
            (HostSort.Health, false) => hosts.OrderBy(h => h.Health == HostHealth.Unreachable ? 0 : h.Health == HostHealth.Degraded ? 1 : h.Health == HostHealth.Unknown ? 2 : 3),
            (HostSort.Health, true) => hosts.OrderByDescending(h => h.Health == HostHealth.Unreachable ? 0 : h.Health == HostHealth.Degraded ? 1 : h.Health == HostHealth.Unknown ? 2 : 3),
            (HostSort.LastSeen, false) => hosts.OrderBy(h => h.LastSeenAt),
            (HostSort.LastSeen, true) => hosts.OrderByDescending(h => h.LastSeenAt),
            (HostSort.Security, false) => hosts.OrderBy(h => h.PendingSecurityCount),
            (HostSort.Security, true) => hosts.OrderByDescending(h => h.PendingSecurityCount),
            (HostSort.Other, false) => hosts.OrderBy(h => h.PendingOtherCount),
            (HostSort.Other, true) => hosts.OrderByDescending(h => h.PendingOtherCount),
            (HostSort.Inventory, false) => hosts.OrderBy(h => h.InventoryRefreshedAt),
            (HostSort.Inventory, true) => hosts.OrderByDescending(h => h.InventoryRefreshedAt),
            (_, true) => hosts.OrderByDescending(h => h.NormalizedName),
            _ => hosts.OrderBy(h => h.NormalizedName),
        };
        // A stable tie-break so paging never shows a host twice or skips one.
        return ordered.ThenBy(h => h.NormalizedName).ThenBy(h => h.Id);
    }

    public async Task<HostDetail?> GetDetailAsync(Guid hostId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Hosts.AsNoTracking().Where(h => h.Id == hostId).Select(h => new HostDetail(
            h.Id, h.Name, h.Address, h.AgentPort, h.OsName, h.OsVersion, h.KernelVersion, h.Architecture, h.PackageFamily,
            h.AgentCertificateFingerprint, h.CreatedAt, h.LastSeenAt, h.Health, h.HealthReason, h.RebootRequired,
            h.PendingSecurityCount, h.PendingOtherCount, h.InventoryRefreshedAt,
            h.Groups.OrderBy(g => g.Name).Select(g => new GroupOption(g.Id, g.Name)).ToList(),
            h.Tags.OrderBy(t => t.Name).Select(t => t.Name).ToList())).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>The newest health samples, newest first.</summary>
    public async Task<IReadOnlyList<HealthSample>> GetHealthHistoryAsync(Guid hostId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.HealthSamples.AsNoTracking().Where(s => s.HostId == hostId)
            .OrderByDescending(s => s.At).ThenByDescending(s => s.Id).Take(HealthHistoryLength).ToListAsync(cancellationToken);
    }

    public async Task<PackageResultPage> GetPackagesAsync(Guid hostId, string? search, PackageSort sort, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var query = PackagesQuery(db, hostId, search);
        var total = await query.CountAsync(cancellationToken);
        var items = await PackagesPageQuery(db, hostId, search, sort, page, pageSize).ToListAsync(cancellationToken);
        return new PackageResultPage(items, total);
    }

    /// <summary>One page of a host's packages as a query (public so a test can check it runs in SQL).</summary>
    public static IQueryable<InstalledPackage> PackagesPageQuery(PortalDbContext db, Guid hostId, string? search, PackageSort sort, int page, int pageSize)
    {
        ArgumentNullException.ThrowIfNull(sort);
        var query = PackagesQuery(db, hostId, search);
        var ordered = (sort.By, sort.Descending) switch
        {
            (PackageSort.Version, false) => query.OrderBy(p => p.Version).ThenBy(p => p.Name),
            (PackageSort.Version, true) => query.OrderByDescending(p => p.Version).ThenBy(p => p.Name),
            (PackageSort.Architecture, false) => query.OrderBy(p => p.Architecture).ThenBy(p => p.Name),
            (PackageSort.Architecture, true) => query.OrderByDescending(p => p.Architecture).ThenBy(p => p.Name),
            (_, true) => query.OrderByDescending(p => p.Name).ThenBy(p => p.Architecture),
            _ => query.OrderBy(p => p.Name).ThenBy(p => p.Architecture),
        };
        return ordered.ThenBy(p => p.Id).Skip(Math.Max(page, 0) * pageSize).Take(pageSize);
    }

    private static IQueryable<InstalledPackage> PackagesQuery(PortalDbContext db, Guid hostId, string? search)
    {
        ArgumentNullException.ThrowIfNull(db);
        var query = db.InstalledPackages.AsNoTracking().Where(p => p.HostId == hostId);
        if (!string.IsNullOrWhiteSpace(search))
        {
            // Package names are lower-case on both families; lower-casing the term is enough and keeps the index usable.
            var term = search.Trim().ToLowerInvariant();
            query = query.Where(p => p.Name.Contains(term));
        }

        return query;
    }

    /// <summary>A host's pending updates, security updates first, then by package name.</summary>
    public async Task<UpdateResultPage> GetPendingUpdatesAsync(Guid hostId, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var query = db.PendingUpdates.AsNoTracking().Where(u => u.HostId == hostId);
        var total = await query.CountAsync(cancellationToken);
        var items = await UpdatesPageQuery(db, hostId, page, pageSize).ToListAsync(cancellationToken);
        return new UpdateResultPage(items, total);
    }

    public static IQueryable<PendingUpdate> UpdatesPageQuery(PortalDbContext db, Guid hostId, int page, int pageSize)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.PendingUpdates.AsNoTracking().Where(u => u.HostId == hostId)
            .OrderByDescending(u => u.IsSecurity).ThenBy(u => u.PackageName).ThenBy(u => u.Id)
            .Skip(Math.Max(page, 0) * pageSize).Take(pageSize);
    }

    /// <summary>Every group, by name, for pickers and filters.</summary>
    public async Task<IReadOnlyList<GroupOption>> GetGroupOptionsAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.HostGroups.AsNoTracking().OrderBy(g => g.Name).Select(g => new GroupOption(g.Id, g.Name)).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> GetTagNamesAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Tags.AsNoTracking().OrderBy(t => t.Name).Select(t => t.Name).ToListAsync(cancellationToken);
    }

    /// <summary>The distinct OS names hosts reported, for the OS filter.</summary>
    public async Task<IReadOnlyList<string>> GetOsNamesAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Hosts.AsNoTracking().Where(h => h.OsName != null).Select(h => h.OsName!).Distinct().OrderBy(n => n).ToListAsync(cancellationToken);
    }

    /// <summary>Queues a refresh of the hosts; does nothing (false) when no scheduler is registered.</summary>
    public bool RequestRefresh(IReadOnlyCollection<Guid> hostIds)
    {
        ArgumentNullException.ThrowIfNull(hostIds);
        if (refresh is null || hostIds.Count == 0)
        {
            return false;
        }

        refresh.RefreshNow(hostIds);
        return true;
    }
}
