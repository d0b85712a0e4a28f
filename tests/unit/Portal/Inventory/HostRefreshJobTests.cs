using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Inventory;

public sealed class HostRefreshJobTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private readonly InventoryDatabase _database = new();
    private readonly ScriptedAgentClient _agents = new();
    private readonly HostEventHub _events = new();
    private readonly FakeTimeProvider _time = new(Now);

    public void Dispose() => _database.Dispose();

    private HostRefreshJob Job(int unreachableAfter = 3) => new(
        _database, _agents, _events, Options.Create(new InventoryOptions { UnreachableAfterFailures = unreachableAfter }),
        _time, NullLogger<HostRefreshJob>.Instance);

    private void Script(Guid hostId, IReadOnlyList<PackageDto> packages, IReadOnlyList<PatchDto> patches, bool reboot = false)
    {
        var script = _agents.For(hostId);
        script.Health = AgentCallResult.Ok(ScriptedAgentClient.Healthy(reboot));
        script.Packages = AgentCallResult.Ok(packages);
        script.Patches = AgentCallResult.Ok(patches);
    }

    [Fact]
    public async Task RefreshAsync_WritesFactsInventoryAndPendingCounts_WhenAgentAnswers()
    {
        var host = await _database.AddHostAsync("web-1");
        Script(host.Id,
            [ScriptedAgentClient.Package("openssl", "3.5.1-1"), ScriptedAgentClient.Package("curl", "8.14.1-2"), ScriptedAgentClient.Package("tzdata", "2025b-4")],
            [ScriptedAgentClient.Patch("openssl", "3.5.1-1", "3.5.1-1+deb13u1", security: true),
             ScriptedAgentClient.Patch("curl", "8.14.1-2", "8.14.1-2+deb13u1", security: true),
             ScriptedAgentClient.Patch("tzdata", "2025b-4", "2025c-1", security: false)],
            reboot: true);

        await Job().RefreshAsync(host.Id, CancellationToken.None);

        var saved = await _database.GetHostAsync(host.Id);
        Assert.Equal(HostHealth.Healthy, saved.Health);
        Assert.Null(saved.HealthReason);
        Assert.Equal(("Debian GNU/Linux", "13", "6.12.0-1-amd64", "amd64", "apt"),
            (saved.OsName, saved.OsVersion, saved.KernelVersion, saved.Architecture, saved.PackageFamily));
        Assert.Equal((2, 1, true), (saved.PendingSecurityCount, saved.PendingOtherCount, saved.RebootRequired));
        Assert.Equal(Now, saved.LastSeenAt);
        Assert.Equal(Now, saved.InventoryRefreshedAt);
        await using var db = _database.CreateDbContext();
        Assert.Equal(["curl", "openssl", "tzdata"],
            await db.InstalledPackages.Where(p => p.HostId == host.Id).OrderBy(p => p.Name).Select(p => p.Name).ToListAsync());
        var openssl = await db.PendingUpdates.SingleAsync(u => u.HostId == host.Id && u.PackageName == "openssl");
        Assert.Equal(("3.5.1-1", "3.5.1-1+deb13u1", "trixie-security", true),
            (openssl.CurrentVersion, openssl.CandidateVersion, openssl.Source, openssl.IsSecurity));
        var sample = await db.HealthSamples.SingleAsync(s => s.HostId == host.Id);
        Assert.Equal((HostHealth.Healthy, Now), (sample.Health, sample.At));
    }

    [Fact]
    public async Task RefreshAsync_ReplacesInventoryRows_WhenAgentReportsChangedPackages()
    {
        var host = await _database.AddHostAsync("web-1");
        Script(host.Id, [ScriptedAgentClient.Package("openssl", "3.5.1-1"), ScriptedAgentClient.Package("telnet", "0.17")],
            [ScriptedAgentClient.Patch("openssl", "3.5.1-1", "3.5.1-1+deb13u1", security: true)]);
        await Job().RefreshAsync(host.Id, CancellationToken.None);

        Script(host.Id, [ScriptedAgentClient.Package("openssl", "3.5.1-1+deb13u1"), ScriptedAgentClient.Package("curl", "8.14.1-2")], []);
        await Job().RefreshAsync(host.Id, CancellationToken.None);

        await using var db = _database.CreateDbContext();
        var packages = await db.InstalledPackages.Where(p => p.HostId == host.Id).OrderBy(p => p.Name)
            .Select(p => p.Name + "=" + p.Version).ToListAsync();
        Assert.Equal(["curl=8.14.1-2", "openssl=3.5.1-1+deb13u1"], packages);
        Assert.Empty(await db.PendingUpdates.Where(u => u.HostId == host.Id).ToListAsync());
        var saved = await _database.GetHostAsync(host.Id);
        Assert.Equal((0, 0), (saved.PendingSecurityCount, saved.PendingOtherCount));
    }

    [Fact]
    public async Task RefreshAsync_DeletesOldRowsInBulk_WhenReplacingInventory()
    {
        var host = await _database.AddHostAsync("web-1");
        var packages = Enumerable.Range(0, 2000).Select(i => ScriptedAgentClient.Package($"pkg-{i:D4}", "1.0")).ToList();
        Script(host.Id, packages, []);
        await Job().RefreshAsync(host.Id, CancellationToken.None);
        _database.ClearSql();

        await Job().RefreshAsync(host.Id, CancellationToken.None);

        // One DELETE per table for the host, not one per tracked row.
        var deletes = _database.Sql.Where(s => s.Contains("DELETE FROM \"InstalledPackages\"", StringComparison.Ordinal)).ToList();
        Assert.Single(deletes);
        Assert.Contains("WHERE \"i\".\"HostId\" = @", deletes[0], StringComparison.Ordinal);
        await using var db = _database.CreateDbContext();
        Assert.Equal(2000, await db.InstalledPackages.CountAsync(p => p.HostId == host.Id));
    }

    [Fact]
    public async Task RefreshAsync_LeavesSameRows_WhenRunTwice()
    {
        var host = await _database.AddHostAsync("web-1");
        var other = await _database.AddHostAsync("web-2");
        Script(host.Id, [ScriptedAgentClient.Package("openssl", "3.5.1-1"), ScriptedAgentClient.Package("curl", "8.14.1-2")],
            [ScriptedAgentClient.Patch("openssl", "3.5.1-1", "3.5.1-1+deb13u1", security: true)]);
        Script(other.Id, [ScriptedAgentClient.Package("bash", "5.2")], []);
        await Job().RefreshAsync(other.Id, CancellationToken.None);

        await Job().RefreshAsync(host.Id, CancellationToken.None);
        var first = await SnapshotAsync(host.Id);
        await Job().RefreshAsync(host.Id, CancellationToken.None);
        var second = await SnapshotAsync(host.Id);

        Assert.Equal(first, second);
        Assert.Equal(["bash=5.2|amd64"], await SnapshotPackagesAsync(other.Id));
    }

    [Fact]
    public async Task RefreshAsync_MarksDegradedThenUnreachable_AfterConfiguredConsecutiveFailures()
    {
        var host = await _database.AddHostAsync("web-1");
        _agents.For(host.Id).FailWith(new AgentFailure(AgentFailureKind.Unreachable, "Connection refused"));
        var seen = new List<HostHealth>();

        for (var poll = 0; poll < 4; poll++)
        {
            await Job(unreachableAfter: 3).RefreshAsync(host.Id, CancellationToken.None);
            seen.Add((await _database.GetHostAsync(host.Id)).Health);
        }

        Assert.Equal([HostHealth.Degraded, HostHealth.Degraded, HostHealth.Unreachable, HostHealth.Unreachable], seen);
        var saved = await _database.GetHostAsync(host.Id);
        Assert.Equal(4, saved.ConsecutiveFailures);
        Assert.Equal("Unreachable: Connection refused (3 of 3 failed polls)", saved.HealthReason);
    }

    [Fact]
    public async Task RefreshAsync_ResetsFailureCountAndHealth_WhenAgentAnswersAgain()
    {
        var host = await _database.AddHostAsync("web-1");
        _agents.For(host.Id).FailWith(new AgentFailure(AgentFailureKind.Timeout, "no answer within 10 s"));
        for (var poll = 0; poll < 3; poll++)
        {
            await Job().RefreshAsync(host.Id, CancellationToken.None);
        }

        Assert.Equal(HostHealth.Unreachable, (await _database.GetHostAsync(host.Id)).Health);
        Script(host.Id, [ScriptedAgentClient.Package("openssl", "3.5.1-1")], []);
        _agents.For(host.Id).SystemInfo = AgentCallResult.Ok(ScriptedAgentClient.Info());
        await Job().RefreshAsync(host.Id, CancellationToken.None);
        var recovered = await _database.GetHostAsync(host.Id);

        Assert.Equal((HostHealth.Healthy, 0, (string?)null), (recovered.Health, recovered.ConsecutiveFailures, recovered.HealthReason));
        // One more failure after recovery is a blip again, not straight back to Unreachable.
        _agents.For(host.Id).FailWith(new AgentFailure(AgentFailureKind.Timeout, "no answer within 10 s"));
        await Job().RefreshAsync(host.Id, CancellationToken.None);
        Assert.Equal(HostHealth.Degraded, (await _database.GetHostAsync(host.Id)).Health);
    }

    [Theory]
    [InlineData(AgentFailureKind.Timeout, "no answer within 10 s", null, "Timed out: no answer within 10 s")]
    [InlineData(AgentFailureKind.CertificateRejected, "certificate belongs to another host", null, "Certificate rejected: certificate belongs to another host")]
    [InlineData(AgentFailureKind.InvalidResponse, "body is not the agent envelope", null, "Invalid response: body is not the agent envelope")]
    [InlineData(AgentFailureKind.AgentError, "package manager busy", "SERVICE_UNHEALTHY", "Agent error SERVICE_UNHEALTHY: package manager busy")]
    public async Task RefreshAsync_RecordsReasonOnHostAndSample_WhenAgentFails(AgentFailureKind kind, string message, string? code, string expected)
    {
        var host = await _database.AddHostAsync("web-1");
        _agents.For(host.Id).FailWith(new AgentFailure(kind, message, code));

        await Job().RefreshAsync(host.Id, CancellationToken.None);

        var saved = await _database.GetHostAsync(host.Id);
        Assert.Equal(HostHealth.Degraded, saved.Health);
        Assert.Equal($"{expected} (1 of 3 failed polls)", saved.HealthReason);
        Assert.Null(saved.LastSeenAt);
        await using var db = _database.CreateDbContext();
        var sample = await db.HealthSamples.SingleAsync(s => s.HostId == host.Id);
        Assert.Equal(saved.HealthReason, sample.Reason);
    }

    [Fact]
    public async Task RefreshAsync_KeepsPreviousInventory_WhenAgentAnswersHealthButPackageListIsGarbage()
    {
        var host = await _database.AddHostAsync("web-1");
        Script(host.Id, [ScriptedAgentClient.Package("openssl", "3.5.1-1")], []);
        await Job().RefreshAsync(host.Id, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(5));
        _agents.For(host.Id).Packages = AgentCallResult.Fail<IReadOnlyList<PackageDto>>(
            new AgentFailure(AgentFailureKind.InvalidResponse, "unexpected token '<'"));

        await Job().RefreshAsync(host.Id, CancellationToken.None);

        var saved = await _database.GetHostAsync(host.Id);
        Assert.Equal(HostHealth.Degraded, saved.Health);
        Assert.Equal("Inventory failed: Invalid response: unexpected token '<'", saved.HealthReason);
        Assert.Equal((0, Now.AddMinutes(5), Now), (saved.ConsecutiveFailures, saved.LastSeenAt, saved.InventoryRefreshedAt));
        Assert.Equal(["openssl=3.5.1-1|amd64"], await SnapshotPackagesAsync(host.Id));
    }

    [Fact]
    public async Task RefreshAsync_MarksPendingEnrolmentWithoutCallingAgent_WhenHostHasNoCertificate()
    {
        var host = await _database.AddHostAsync("new-1", enrolled: false);

        await Job().RefreshAsync(host.Id, CancellationToken.None);

        var saved = await _database.GetHostAsync(host.Id);
        Assert.Equal(HostHealth.PendingEnrolment, saved.Health);
        Assert.Equal(HostHealthPolicy.PendingEnrolmentReason, saved.HealthReason);
        Assert.Empty(_agents.Calls);
    }

    [Fact]
    public async Task RefreshAsync_PublishesHostChanged_WhenRefreshLands()
    {
        var host = await _database.AddHostAsync("web-1");
        var changes = new List<HostChanged>();
        using var subscription = _events.Subscribe(changes.Add);

        await Job().RefreshAsync(host.Id, CancellationToken.None);

        Assert.Equal([new HostChanged(host.Id, HostRefreshJob.ChangeKind)], changes);
    }

    [Fact]
    public async Task RefreshAsync_DoesNothing_WhenHostWasRemoved()
    {
        await Job().RefreshAsync(Guid.CreateVersion7(), CancellationToken.None);

        Assert.Empty(_agents.Calls);
    }

    private async Task<string> SnapshotAsync(Guid hostId)
    {
        var host = await _database.GetHostAsync(hostId);
        await using var db = _database.CreateDbContext();
        var updates = await db.PendingUpdates.Where(u => u.HostId == hostId).OrderBy(u => u.PackageName)
            .Select(u => $"{u.PackageName}:{u.CurrentVersion}->{u.CandidateVersion}:{u.IsSecurity}").ToListAsync();
        return string.Join(";", [
            $"{host.Health}|{host.PendingSecurityCount}|{host.PendingOtherCount}|{host.OsName}",
            .. await SnapshotPackagesAsync(hostId), .. updates]);
    }

    private async Task<List<string>> SnapshotPackagesAsync(Guid hostId)
    {
        await using var db = _database.CreateDbContext();
        return await db.InstalledPackages.Where(p => p.HostId == hostId).OrderBy(p => p.Name)
            .Select(p => p.Name + "=" + p.Version + "|" + p.Architecture).ToListAsync();
    }
}
