using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Inventory;
using PatchPortal.Tests.Unit.Portal.Hosts;

namespace PatchPortal.Tests.Unit.Portal.Inventory;

public sealed class HostHealthJobTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private readonly InventoryDatabase _database = new();
    private readonly ScriptedAgentClient _agents = new();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly RecordingRefreshScheduler _refresh = new();

    public void Dispose() => _database.Dispose();

    private HostHealthJob Job(int unreachableAfter = 3) => new(_database, _agents, _refresh, new HostEventHub(),
        Options.Create(new InventoryOptions { UnreachableAfterFailures = unreachableAfter }), _time, NullLogger<HostHealthJob>.Instance);

    [Fact]
    public async Task CheckAsync_RecordsHealthLastSeenAndReboot_WithoutAskingForInventory()
    {
        var host = await _database.AddHostAsync("web-1");
        _agents.For(host.Id).Health = AgentCallResult.Ok(ScriptedAgentClient.Healthy(rebootRequired: true));

        await Job().CheckAsync(host.Id, CancellationToken.None);

        var saved = await _database.GetHostAsync(host.Id);
        Assert.Equal((HostHealth.Healthy, Now, true, (DateTimeOffset?)null),
            (saved.Health, saved.LastSeenAt, saved.RebootRequired, saved.InventoryRefreshedAt));
        Assert.Equal(["health"], _agents.Calls.Select(c => c.Call));
    }

    [Fact]
    public async Task CheckAsync_QueuesFullRefresh_OnlyOnTheHostsFirstAnswer()
    {
        var fresh = await _database.AddHostAsync("just-enrolled");
        var known = await _database.AddHostAsync("known", configure: h => h.LastSeenAt = Now.AddMinutes(-3));
        var silent = await _database.AddHostAsync("silent");
        _agents.For(fresh.Id).Health = AgentCallResult.Ok(ScriptedAgentClient.Healthy());
        _agents.For(known.Id).Health = AgentCallResult.Ok(ScriptedAgentClient.Healthy());
        _agents.For(silent.Id).FailWith(new AgentFailure(AgentFailureKind.Unreachable, "Connection refused"));

        await Job().CheckAsync(fresh.Id, CancellationToken.None);
        await Job().CheckAsync(known.Id, CancellationToken.None);
        await Job().CheckAsync(silent.Id, CancellationToken.None);
        await Job().CheckAsync(fresh.Id, CancellationToken.None); // seen now: the inventory poll takes it from here

        Assert.Equal([[fresh.Id]], _refresh.Requests);
    }

    [Fact]
    public async Task CheckAsync_ReportsFailingChecks_WhenAgentSaysDegraded()
    {
        var host = await _database.AddHostAsync("web-1");
        _agents.For(host.Id).Health = AgentCallResult.Ok(new HealthResponse
        {
            Status = "degraded",
            Version = "1.0.0",
            Checks = new Dictionary<string, HealthCheckResult>
            {
                ["config"] = new("ok", null),
                ["certificates"] = new("warning", "server certificate expires at 2026-12-01"),
            },
        });

        await Job().CheckAsync(host.Id, CancellationToken.None);

        var saved = await _database.GetHostAsync(host.Id);
        Assert.Equal(HostHealth.Degraded, saved.Health);
        Assert.Equal("Agent reports degraded: certificates (server certificate expires at 2026-12-01)", saved.HealthReason);
        Assert.Equal(0, saved.ConsecutiveFailures);
    }

    [Fact]
    public async Task CheckAsync_CountsTowardsUnreachable_WhenAgentDoesNotAnswer()
    {
        var host = await _database.AddHostAsync("web-1", configure: h => h.ConsecutiveFailures = 1);
        _agents.For(host.Id).FailWith(new AgentFailure(AgentFailureKind.Unreachable, "No route to host"));

        await Job(unreachableAfter: 2).CheckAsync(host.Id, CancellationToken.None);

        var saved = await _database.GetHostAsync(host.Id);
        Assert.Equal((HostHealth.Unreachable, 2), (saved.Health, saved.ConsecutiveFailures));
        await using var db = _database.CreateDbContext();
        Assert.Equal(HostHealth.Unreachable, (await db.HealthSamples.SingleAsync(s => s.HostId == host.Id)).Health);
    }
}
