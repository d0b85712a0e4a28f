using Microsoft.Playwright;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Cluster;

/// <summary>
/// Scale-out end to end: a run queued in the shared Hangfire storage is taken by one node (called A here, whichever
/// node's worker got it), streams live to a browser on the other node (B) through LISTEN/NOTIFY, and when A is killed
/// mid-run, B's watchdog finds the lapsed claim and finishes the run, following the agent job A had started instead
/// of applying again: every host ends patched by exactly one agent job.
/// </summary>
[Collection(ClusterTests.Name)]
public sealed class TwoNodeRunTests(ClusterFixture cluster)
{
    private static readonly string[] Hosts = ["cl-a", "cl-b", "cl-c", "cl-d"];

    [Fact]
    public async Task Run_FinishesOnTheOtherNode_WithEveryHostPatchedOnce_WhenItsNodeIsKilledMidRun()
    {
        var started = DateTimeOffset.UtcNow.AddSeconds(-5);
        var runId = await cluster.ArrangeRunAsync("Cluster run", Hosts, p => p.BatchSize = 1);
        var running = await cluster.WaitForRunAsync(runId, r => r.State == RunState.Running && r.LeaseOwner is not null,
            TimeSpan.FromSeconds(60), "a node claims the run");
        var nodeA = running.LeaseOwner![..running.LeaseOwner!.IndexOf('/', StringComparison.Ordinal)];
        var nodeB = cluster.Nodes.Keys.Single(n => n != nodeA);

        await using var context = await cluster.NewAdminContextAsync(nodeB);
        var page = await context.NewPageAsync();
        // Opened by hand with generous waits: the page object's five seconds are short for two nodes, four agents and a
        // browser on two cores.
        await page.GotoAsync($"/runs/{runId}");
        var run = new RunPage(page);
        await run.WaitUntilReadyAsync();
        await Assertions.Expect(page.GetByText("Times in ")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        var states = page.Locator("[data-testid=host-state]");
        var succeeded = states.Filter(new() { HasText = "Succeeded" });
        await TestStep.RunAsync(page, "cluster-live-from-other-node", async () =>
        {
            await page.EvaluateAsync("() => window.__patchportalNoReload = true");
            await Assertions.Expect(run.State).ToHaveTextAsync("Running", new() { Timeout = 30_000 });
            // One more host ends while this page on B watches: the change came from A's executor through NOTIFY.
            var before = await succeeded.CountAsync();
            Assert.True(before < Hosts.Length - 1, $"the run was nearly over ({before} hosts done) before the page on {nodeB} opened");
            await Assertions.Expect(succeeded).ToHaveCountAsync(before + 1, new() { Timeout = 30_000 });
        });

        // Kill A while it follows a host's agent job: the claim lapses, and B must follow that job, not start another.
        var midRun = await cluster.WaitForRunAsync(runId, r => r.Hosts.Any(h => h.State == HostRunState.Patching && h.AgentJobId is not null),
            TimeSpan.FromSeconds(30), "a host's agent job is recorded");
        var interrupted = midRun.Hosts.First(h => h.State == HostRunState.Patching && h.AgentJobId is not null);
        Assert.StartsWith(nodeA + "/", midRun.LeaseOwner, StringComparison.Ordinal);
        await cluster.Nodes[nodeA].KillAsync();

        await TestStep.RunAsync(page, "cluster-finished-on-other-node", async () =>
        {
            await Assertions.Expect(run.State).ToHaveTextAsync("Succeeded", new() { Timeout = 180_000 });
            foreach (var host in Hosts)
            {
                await Assertions.Expect(run.HostState(host)).ToHaveTextAsync("Succeeded", new() { Timeout = 30_000 });
            }

            await Assertions.Expect(states).ToHaveCountAsync(Hosts.Length, new() { Timeout = 30_000 });
            Assert.True(await page.EvaluateAsync<bool>("() => window.__patchportalNoReload === true"), "the page reloaded");
        });

        var done = await cluster.GetRunAsync(runId);
        Assert.All(done.Hosts, h => Assert.Equal(HostRunState.Succeeded, h.State));
        Assert.Equal(interrupted.AgentJobId, done.Hosts.Single(h => h.Id == interrupted.Id).AgentJobId);
        foreach (var host in done.Hosts)
        {
            var jobs = await cluster.PatchJobsAsync(host.HostName, started);
            Assert.Equal(host.AgentJobId, Assert.Single(jobs).JobId);
        }
    }
}
