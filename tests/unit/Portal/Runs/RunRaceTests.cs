using Hangfire;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Inventory;
using PatchPortal.Portal.Runs;
using PatchPortal.Portal.Windows;
using PatchPortal.Tests.Unit.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Runs;

/// <summary>
/// Two portal nodes racing for one run: each node is its own DI container built with the portal's real registrations
/// (data, audit, windows, runs), with its own node name, singletons and claim owners, over the same SQLite file, as two
/// processes would be. They share only what two processes share: the database, the agents (one scripted agent per
/// host, which counts the patch jobs it is asked for) and the wall clock.
/// </summary>
[Collection(HangfireGlobalState.Name)]
public sealed class RunRaceTests : IDisposable
{
    private readonly RunHarness _harness = new();
    private readonly List<IHost> _nodes = [];

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            node.Dispose();
        }

        HangfireGlobalState.Reset();
        _harness.Dispose();
    }

    /// <summary>A portal node's services (not started: its Hangfire servers stay off, the test calls its executor).</summary>
    private IServiceProvider Node(string name)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Portal:DataDir"] = Path.Combine(_harness.Database.Directory, name),
            ["Portal:Database:ConnectionString"] = $"Data Source={Path.Combine(_harness.Database.Directory, "portal.db")}",
            ["Portal:NodeName"] = name,
            ["Portal:Runs:RetryBaseSeconds"] = "10",
            ["Portal:Runs:PollSeconds"] = "5",
        });
        builder.Services.AddSingleton<TimeProvider>(_harness.Clock);
        builder.AddPortalData();
        builder.AddPortalAudit();
        builder.AddWindows();
        builder.AddRuns();
        builder.Services.AddSingleton<IAgentClient>(_harness.Agents);
        builder.Services.AddSingleton<IHostRefreshScheduler>(_harness.Inventory);
        builder.Services.AddSingleton<IBackgroundJobClient>(_harness.Jobs);
        var host = builder.Build();
        _nodes.Add(host);
        return host.Services;
    }

    private static Task ExecuteOn(IServiceProvider node, Guid runId) => Task.Run(async () =>
    {
        await using var scope = node.CreateAsyncScope(); // as Hangfire activates a job
        await scope.ServiceProvider.GetRequiredService<RunExecutor>().ExecuteAsync(runId, CancellationToken.None);
    });

    private int Applies(ManagedHost host) => _harness.CallsTo(host).Count(c => c == "apply");

    [Fact]
    public async Task ExecuteAsync_PatchesEachHostOnce_WhenTwoNodesStartTheSameRunAtOnce()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2", "web-3"], p => p.BatchSize = 2);
        var nodeA = Node("portal-a");
        var nodeB = Node("portal-b");

        await _harness.DriveAsync(Task.WhenAll(ExecuteOn(nodeA, run.Id), ExecuteOn(nodeB, run.Id)));

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.All(done.Hosts, h => Assert.Equal((HostRunState.Succeeded, 1), (h.State, h.Attempts)));
        Assert.All(hosts, h => Assert.Equal(1, Applies(h)));
        Assert.Single(await _harness.Database.AuditAsync(AuditActions.RunStarted));
        Assert.Single(await _harness.Database.AuditAsync(AuditActions.RunFinished));
        Assert.Null(done.LeaseOwner);
    }

    [Fact]
    public async Task ExecuteAsync_PatchesEachHostOnce_WhenTheOtherNodeTakesOverALapsedClaimWhileTheFirstStillWorks()
    {
        var (_, run, hosts) = await _harness.ScheduledRunAsync(["web-1", "web-2", "web-3"], p => p.BatchSize = 1);
        var following = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _harness.Agents.For(hosts[0].Id).OnFollow = async (_, token) =>
        {
            following.TrySetResult();
            await release.Task.WaitAsync(token);
        };
        var nodeA = Node("portal-a");
        var nodeB = Node("portal-b");
        var first = ExecuteOn(nodeA, run.Id);
        await following.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Node A stalls past its claim (a frozen VM, a forward clock step) and B's watchdog finds the claim lapsed.
        _harness.Clock.Jump(TimeSpan.FromMinutes(2));
        var second = ExecuteOn(nodeB, run.Id);
        await RunHarness.UntilAsync(async () => (await _harness.Database.GetRunAsync(run.Id)).LeaseOwner?.StartsWith("portal-b/", StringComparison.Ordinal) == true,
            "node B claims the run");
        release.SetResult();
        await _harness.DriveAsync(Task.WhenAll(first, second));

        var done = await _harness.Database.GetRunAsync(run.Id);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.All(done.Hosts, h => Assert.Equal((HostRunState.Succeeded, 1, null), (h.State, h.Attempts, h.Error)));
        Assert.All(hosts, h => Assert.Equal(1, Applies(h)));
        Assert.Single(await _harness.Database.AuditAsync(AuditActions.RunFinished));
    }
}
