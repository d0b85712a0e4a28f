using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;

namespace PatchPortal.Tests.Unit.Portal.Audit;

/// <summary>The audit hash chain and its checkpoints over a real SQLite file; tampering is done in SQL, as an attacker would.</summary>
public sealed class AuditChainTests : IAsyncLifetime
{
    private PortalTestHost _host = default!;

    private AuditLog Log => _host.Services.GetRequiredService<AuditLog>();

    private AuditCheckpoints Checkpoints => _host.Services.GetRequiredService<AuditCheckpoints>();

    public async Task InitializeAsync() => _host = await PortalTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Verify_ReportsIntact_WhenEntriesWereOnlyAppended()
    {
        await RecordAsync(5);

        var report = await Checkpoints.VerifyChainAsync(CancellationToken.None);

        Assert.True(report.Intact, string.Join("; ", report.Problems));
        Assert.True(report.Entries >= 5);
    }

    [Fact]
    public async Task Verify_ReportsTheEditedEntry_WhenARowIsChangedInSql()
    {
        await RecordAsync(5);
        var target = await ChainIndexOfAsync("test.3");

        await ExecuteSqlAsync($"UPDATE AuditEvents SET Actor = 'mallory' WHERE ChainIndex = {target}");

        var report = await Checkpoints.VerifyChainAsync(CancellationToken.None);
        Assert.Contains(report.Problems, p => p.ChainIndex == target && p.Problem.Contains("edited", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_ReportsTheEditedEntry_WhenOnlyItsRequestIdIsChanged()
    {
        await RecordAsync(3);
        var target = await ChainIndexOfAsync("test.2");

        await ExecuteSqlAsync($"UPDATE AuditEvents SET RequestId = 'forged' WHERE ChainIndex = {target}");

        Assert.Contains((await Checkpoints.VerifyChainAsync(CancellationToken.None)).Problems, p => p.ChainIndex == target);
    }

    [Fact]
    public async Task Verify_ReportsMissingEntries_WhenARowIsDeletedInSql()
    {
        await RecordAsync(5);
        var target = await ChainIndexOfAsync("test.3");

        await ExecuteSqlAsync($"DELETE FROM AuditEvents WHERE ChainIndex = {target}");

        var report = await Checkpoints.VerifyChainAsync(CancellationToken.None);
        Assert.Contains(report.Problems, p => p.Problem.Contains("missing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_ReportsRewrite_WhenTheNewestRowsAreDeletedAfterACheckpoint()
    {
        await RecordAsync(4);
        var checkpoint = await Checkpoints.WriteAsync(CancellationToken.None);
        Assert.NotNull(checkpoint);

        // Cutting the tail leaves a chain that is consistent in itself: only the checkpoint outside the database shows it.
        await ExecuteSqlAsync($"DELETE FROM AuditEvents WHERE ChainIndex >= {checkpoint.ChainIndex - 1}");

        var report = await Checkpoints.VerifyChainAsync(CancellationToken.None);
        Assert.Contains(report.Problems, p => p.ChainIndex == checkpoint.ChainIndex && p.Problem.Contains("no longer in the database", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Read_IgnoresACheckpoint_WhenItsSignatureIsForged()
    {
        await RecordAsync(2);
        var written = await Checkpoints.WriteAsync(CancellationToken.None);
        await File.AppendAllTextAsync(Checkpoints.FilePath, $$"""{"chainIndex":{{written!.ChainIndex}},"hash":"{{new string('a', 64)}}","writtenAt":"2026-11-26T00:00:00+00:00","signature":"{{written.Signature}}"}""" + "\n");

        var checkpoints = Checkpoints.Read();

        Assert.Equal(written, checkpoints[^1]);
        Assert.DoesNotContain(checkpoints, c => c.Hash == new string('a', 64));
    }

    [Fact]
    public async Task Write_WritesNothing_WhenTheHeadDidNotMove()
    {
        await RecordAsync(1);
        // The portal's own writer (at start, then on its timer) may take this head first: either way it is checkpointed.
        await Checkpoints.WriteAsync(CancellationToken.None);
        var checkpointed = Checkpoints.Read();
        await using (var db = _host.CreateDbContext())
        {
            Assert.Equal(await db.AuditEvents.MaxAsync(e => e.ChainIndex), checkpointed[^1].ChainIndex);
        }

        Assert.Null(await Checkpoints.WriteAsync(CancellationToken.None));
        Assert.Equal(checkpointed, Checkpoints.Read());
    }

    [Fact]
    public async Task Record_KeepsOneChain_WhenTwoWritersRace()
    {
        // Two AuditLog instances have separate in-process gates, like two portal processes on one database.
        var factory = _host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        using var first = new AuditLog(factory, TimeProvider.System);
        using var second = new AuditLog(factory, TimeProvider.System);

        await Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < 25; i++) { await first.RecordAsync(new AuditEntry("race.first", "a", i.ToString(System.Globalization.CultureInfo.InvariantCulture))); } }),
            Task.Run(async () => { for (var i = 0; i < 25; i++) { await second.RecordAsync(new AuditEntry("race.second", "b", i.ToString(System.Globalization.CultureInfo.InvariantCulture))); } }));

        await using var db = _host.CreateDbContext();
        Assert.Equal(50, await db.AuditEvents.CountAsync(e => e.Action.StartsWith("race.")));
        var report = await AuditChain.VerifyAsync(db, null, CancellationToken.None);
        Assert.True(report.Intact, string.Join("; ", report.Problems));
    }

    private async Task RecordAsync(int count)
    {
        for (var i = 1; i <= count; i++)
        {
            await Log.RecordAsync(new AuditEntry("test." + i, "alice", "target-" + i) { Via = "api-token:ci", RequestId = "req-" + i, After = new { n = i } });
        }
    }

    private async Task<long> ChainIndexOfAsync(string action)
    {
        await using var db = _host.CreateDbContext();
        return (await db.AuditEvents.SingleAsync(e => e.Action == action)).ChainIndex!.Value;
    }

    private async Task ExecuteSqlAsync(string sql)
    {
        await using var db = _host.CreateDbContext();
        await db.Database.ExecuteSqlRawAsync(sql);
    }
}
