using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Data.Sqlite;

namespace PatchPortal.Tests.Unit.Portal.Data;

public sealed class SqliteTimeQueryTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");
    private readonly List<string> _sql = [];

    public SqliteTimeQueryTests() => _connection.Open();

    public void Dispose() => _connection.Dispose();

    private SqlitePortalDbContext CreateContext()
    {
        var options = new DbContextOptionsBuilder<SqlitePortalDbContext>()
            .UseSqlite(_connection)
            .LogTo(_sql.Add, [RelationalEventId.CommandExecuted])
            .Options;
        var db = new SqlitePortalDbContext(options);
        db.Database.Migrate();
        return db;
    }

    [Fact]
    public void TimeRangeQuery_ComparesIntegerColumnInSql_WhenFilteringAuditByDate()
    {
        using var db = CreateContext();
        var from = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var until = from.AddDays(1);

        var sql = AuditQuery.Apply(db.AuditEvents, new AuditFilter(From: from, Until: until)).ToQueryString();

        Assert.Contains("WHERE \"a\".\"OccurredAt\" >= @from AND \"a\".\"OccurredAt\" < @until", sql, StringComparison.Ordinal);
        Assert.Contains($".param set @from {from.UtcTicks}", sql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TimeRangeQuery_ReturnsOnlyEventsInsideRange_WhenOffsetsDiffer()
    {
        await using (var seed = CreateContext())
        {
            var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
            // 23:30 at UTC+02:00 on 1 March is 21:30 UTC: inside the day. 01:00 at UTC-05:00 on 1 March is 06:00 UTC: inside.
            // 00:30 at UTC+02:00 on 1 March is 22:30 UTC on 28 February: outside, although its local date says 1 March.
            seed.AuditEvents.AddRange(
                Event("inside-east", new DateTimeOffset(2026, 3, 1, 23, 30, 0, TimeSpan.FromHours(2))),
                Event("inside-west", new DateTimeOffset(2026, 3, 1, 1, 0, 0, TimeSpan.FromHours(-5))),
                Event("outside-early", new DateTimeOffset(2026, 3, 1, 0, 30, 0, TimeSpan.FromHours(2))),
                Event("outside-late", start.AddDays(1)));
            await seed.SaveChangesAsync();
        }

        await using var db = CreateContext();
        _sql.Clear();
        var from = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var found = await AuditQuery.Apply(db.AuditEvents, new AuditFilter(From: from, Until: from.AddDays(1)))
            .OrderBy(e => e.OccurredAt).Select(e => e.Action).ToListAsync();

        Assert.Equal(["inside-west", "inside-east"], found);
        Assert.Contains(_sql, s => s.Contains("ORDER BY \"a\".\"OccurredAt\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Model_StoresEveryDateTimeOffsetAsInteger_WhenProviderIsSqlite()
    {
        using var db = CreateContext();

        var properties = db.Model.GetEntityTypes().SelectMany(t => t.GetProperties())
            .Where(p => (Nullable.GetUnderlyingType(p.ClrType) ?? p.ClrType) == typeof(DateTimeOffset))
            .ToList();

        Assert.NotEmpty(properties);
        Assert.All(properties, p => Assert.Equal("INTEGER", p.GetColumnType()));
    }

    private static AuditEvent Event(string action, DateTimeOffset at) => new() { Action = action, Actor = "test", OccurredAt = at };
}
