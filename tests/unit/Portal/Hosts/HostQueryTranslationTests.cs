using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Data.Sqlite;
using PatchPortal.Portal.Hosts;

namespace PatchPortal.Tests.Unit.Portal.Hosts;

/// <summary>The host pages' queries run in SQL (filter, order, limit/offset), never by loading the fleet into memory.</summary>
public sealed class HostQueryTranslationTests : IDisposable
{
    private static readonly DateTimeOffset StaleBefore = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly SqliteConnection _connection = new("Data Source=:memory:");
    private readonly SqlitePortalDbContext _db;

    public HostQueryTranslationTests()
    {
        _connection.Open();
        _db = new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite(_connection).Options);
        _db.Database.Migrate();
    }

    public void Dispose()
    {
        _db.Dispose();
        _connection.Dispose();
    }

    private string PageSql(HostFilter filter, HostSort sort) => HostCatalog.PageQuery(_db, filter, sort, 2, 25, StaleBefore).ToQueryString();

    [Fact]
    public void PageQuery_FiltersInSql_WhenEveryFilterIsSet()
    {
        var sql = PageSql(new HostFilter("web", "prod", "blue", "Debian", HostHealth.Unreachable, true, true, true), new HostSort());

        Assert.Contains("instr(\"h\".\"NormalizedName\", @term) > 0", sql, StringComparison.Ordinal);
        Assert.Contains("FROM \"HostGroupMembers\"", sql, StringComparison.Ordinal);
        Assert.Contains("FROM \"HostTags\"", sql, StringComparison.Ordinal);
        Assert.Contains("\"h\".\"OsName\" = @os", sql, StringComparison.Ordinal);
        Assert.Contains("\"h\".\"Health\" = @health", sql, StringComparison.Ordinal);
        Assert.Contains(".param set @health 'Unreachable'", sql, StringComparison.Ordinal);
        Assert.Contains("\"h\".\"PendingSecurityCount\" > 0", sql, StringComparison.Ordinal);
        Assert.Contains("\"h\".\"RebootRequired\"", sql, StringComparison.Ordinal);
        Assert.Contains("\"h\".\"InventoryRefreshedAt\" IS NULL OR \"h\".\"InventoryRefreshedAt\" < @staleBefore", sql, StringComparison.Ordinal);
        Assert.Contains($".param set @staleBefore {StaleBefore.UtcTicks}", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void PageQuery_OrdersAndPagesInSql_WhenSortedByLastSeen()
    {
        var sql = PageSql(new HostFilter(), new HostSort(HostSort.LastSeen, Descending: true));

        Assert.Contains("ORDER BY \"h\".\"LastSeenAt\" DESC, \"h\".\"NormalizedName\", \"h\".\"Id\"", sql, StringComparison.Ordinal);
        Assert.Contains("LIMIT @p", sql, StringComparison.Ordinal);
        Assert.Contains("OFFSET @p", sql, StringComparison.Ordinal);
        Assert.Contains(".param set @p 50", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void PageQuery_OrdersBySeverityInSql_WhenSortedByHealth()
    {
        var sql = PageSql(new HostFilter(), new HostSort(HostSort.Health));

        Assert.Contains("ORDER BY CASE", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void PackagesPageQuery_SearchesOrdersAndPagesInSql_WhenSearching()
    {
        var sql = HostCatalog.PackagesPageQuery(_db, Guid.NewGuid(), "ssl", new PackageSort(PackageSort.Version, true), 1, 50).ToQueryString();

        Assert.Contains("instr(\"i\".\"Name\", @term) > 0", sql, StringComparison.Ordinal);
        Assert.Contains("ORDER BY \"i\".\"Version\" DESC", sql, StringComparison.Ordinal);
        Assert.Contains("LIMIT @p", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void UpdatesPageQuery_OrdersSecurityFirstInSql_WhenPaged()
    {
        var sql = HostCatalog.UpdatesPageQuery(_db, Guid.NewGuid(), 0, 25).ToQueryString();

        Assert.Contains("ORDER BY \"p\".\"IsSecurity\" DESC, \"p\".\"PackageName\"", sql, StringComparison.Ordinal);
        Assert.Contains("LIMIT @p", sql, StringComparison.Ordinal);
    }
}
