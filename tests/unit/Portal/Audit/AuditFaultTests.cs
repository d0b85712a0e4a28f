using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Audit;

namespace PatchPortal.Tests.Unit.Portal.Audit;

/// <summary>Faults injected into the real SQLite file under the audit log.</summary>
public sealed class AuditFaultTests : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"audit-fault-{Guid.NewGuid():N}.db");
    private PortalTestHost _host = default!;

    public async Task InitializeAsync() =>
        _host = await PortalTestHost.StartAsync(new Dictionary<string, string?> { ["Portal:Database:ConnectionString"] = $"Data Source={_file};Default Timeout=1" });

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(_file);
    }

    [Fact]
    public async Task Record_FailsPromptlyWithALockedError_AndLeavesTheChainIntact_WhenTheDatabaseIsLocked()
    {
        var log = _host.Services.GetRequiredService<AuditLog>();
        await log.RecordAsync(new AuditEntry("fault.before", "alice", null));

        var clock = Stopwatch.StartNew();
        await using (var locker = new SqliteConnection($"Data Source={_file};Pooling=False"))
        {
            await locker.OpenAsync();
            await using var exclusive = locker.CreateCommand();
            exclusive.CommandText = "BEGIN EXCLUSIVE";
            await exclusive.ExecuteNonQueryAsync();

            var error = await Assert.ThrowsAnyAsync<Exception>(() => log.RecordAsync(new AuditEntry("fault.during", "alice", null)));

            Assert.Contains("locked", error.ToString(), StringComparison.OrdinalIgnoreCase);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the locked write took {clock.Elapsed} (retried instead of failing)");
        }

        await log.RecordAsync(new AuditEntry("fault.after", "alice", null));

        await using var db = _host.CreateDbContext();
        Assert.False(await db.AuditEvents.AnyAsync(e => e.Action == "fault.during"));
        var report = await AuditChain.VerifyAsync(db, null, CancellationToken.None);
        Assert.True(report.Intact, string.Join("; ", report.Problems));
        Assert.Equal("ok", await db.Database.SqlQueryRaw<string>("PRAGMA integrity_check").ToAsyncEnumerable().SingleAsync());
    }
}
