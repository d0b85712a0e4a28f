using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Sqlite;
using PatchPortal.Portal.Hosts;

namespace PatchPortal.Tests.Unit.Portal.Data;

/// <summary>
/// The portal's disk fills up: SQLite answers SQLITE_FULL for real, through <c>PRAGMA max_page_count</c> set on every
/// connection the portal opens (the file may not grow past its current pages; free space inside them is still used,
/// as on a full disk). Chosen over a small tmpfs or loop mount because it needs no privileges and behaves the same on
/// any CI machine; SQLite reports both the same way (SQLITE_FULL, "database or disk is full").
/// </summary>
public sealed class DiskFullTests : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"disk-full-{Guid.NewGuid():N}.db");
    private readonly DiskQuota _quota = new();
    private PortalTestHost _host = default!;

    public async Task InitializeAsync() =>
        _host = await PortalTestHost.StartAsync(
            new Dictionary<string, string?> { ["Portal:Database:ConnectionString"] = $"Data Source={_file};Default Timeout=5" },
            services: s => s.ConfigureDbContext<SqlitePortalDbContext>(o => o.AddInterceptors(_quota)));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(_file);
    }

    private static AuditEntry Bulky(string action, int i) => new(action, "alice", $"entry {i}") { After = new { Padding = new string('x', 1500) } };

    /// <summary>Fills the disk: audit entries until SQLite refuses one; returns the refusal and how many entries it took.</summary>
    private async Task<(Exception Error, int Written)> FillAsync(AuditLog log)
    {
        _quota.Full = true;
        for (var i = 0; i < 500; i++)
        {
            try
            {
                await log.RecordAsync(Bulky("fault.filling", i));
            }
            catch (DbUpdateException e)
            {
                return (e, i);
            }
        }

        throw new InvalidOperationException("500 entries of 1.5 KB fitted: the disk never filled");
    }

    private async Task AssertConsistentAsync()
    {
        await using var db = _host.CreateDbContext();
        var report = await AuditChain.VerifyAsync(db, null, CancellationToken.None);
        Assert.True(report.Intact, string.Join("; ", report.Problems));
        Assert.Equal("ok", await db.Database.SqlQueryRaw<string>("PRAGMA integrity_check").ToAsyncEnumerable().SingleAsync());
    }

    [Fact]
    public async Task Record_FailsWithDiskFull_AndLeavesNoPartialEntry_AndWorksAgain_WhenSpaceIsBack()
    {
        var log = _host.Services.GetRequiredService<AuditLog>();

        var (error, written) = await FillAsync(log);

        var sqlite = Assert.IsType<SqliteException>(error.InnerException);
        Assert.Equal(13, sqlite.SqliteErrorCode); // SQLITE_FULL
        Assert.Contains("database or disk is full", sqlite.Message, StringComparison.Ordinal);
        await using (var db = _host.CreateDbContext())
        {
            Assert.Equal(written, await db.AuditEvents.CountAsync(e => e.Action == "fault.filling"));
        }

        await AssertConsistentAsync();

        _quota.Full = false;
        await log.RecordAsync(Bulky("fault.after", 0));
        await AssertConsistentAsync();
    }

    [Fact]
    public async Task Update_FailsWithDiskFull_AndLeavesHostAndAuditAsTheyWere_WhenTheDiskIsFull()
    {
        var catalog = _host.GetScoped<HostCatalog>();
        var actor = new Actor("alice", "127.0.0.1");
        var added = await catalog.AddAsync(new HostInput("web-1", "10.0.0.1", 8443, [], ["web"]), actor, CancellationToken.None);
        var hostId = added.HostId!.Value;
        await FillAsync(_host.Services.GetRequiredService<AuditLog>());

        var edit = new HostInput("web-1-renamed", "10.0.0.2", 8443, [], ["web", "edge", "a-much-longer-tag-name-to-need-room"]);
        var error = await Assert.ThrowsAnyAsync<DbUpdateException>(() => catalog.UpdateAsync(hostId, edit, actor, CancellationToken.None));

        Assert.Contains("database or disk is full", error.GetBaseException().Message, StringComparison.Ordinal);
        await using (var db = _host.CreateDbContext())
        {
            var host = await db.Hosts.AsNoTracking().SingleAsync(h => h.Id == hostId);
            Assert.Equal(("web-1", "10.0.0.1"), (host.Name, host.Address));
            Assert.False(await db.AuditEvents.AnyAsync(e => e.Action == AuditActions.HostEdited));
        }

        await AssertConsistentAsync();
        _quota.Full = false;
        Assert.True((await catalog.UpdateAsync(hostId, edit, actor, CancellationToken.None)).Succeeded);
        await using (var db = _host.CreateDbContext())
        {
            Assert.Equal("web-1-renamed", (await db.Hosts.AsNoTracking().SingleAsync(h => h.Id == hostId)).Name);
            Assert.Single(await db.AuditEvents.Where(e => e.Action == AuditActions.HostEdited).ToListAsync());
        }

        await AssertConsistentAsync();
    }

    /// <summary>Caps the database file at its current size on every connection while <see cref="Full"/>.</summary>
    private sealed class DiskQuota : DbConnectionInterceptor
    {
        public volatile bool Full;

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            using var command = Cap(connection);
            command.ExecuteNonQuery();
        }

        public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            await using var command = Cap(connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        // SQLite keeps the cap at no less than the file's current pages; the largest value lifts it.
        private DbCommand Cap(DbConnection connection)
        {
            var command = connection.CreateCommand();
            command.CommandText = Full ? "PRAGMA max_page_count = 1" : "PRAGMA max_page_count = 4294967294";
            return command;
        }
    }
}
