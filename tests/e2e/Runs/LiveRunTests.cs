using Microsoft.Playwright;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Runs;

/// <summary>
/// Runs end to end: Hangfire starts a run at its window's occurrence in the real portal, the engine patches real
/// (simulated-backend) agents over mTLS, and the run page in the browser shows every step live; operators halt,
/// pause, resume and cancel from it; a portal killed mid-run resumes and patches every host exactly once.
/// </summary>
[Collection(RunsTests.Name)]
public sealed class LiveRunTests(RunsFixture fixture)
{
    private static readonly LocatorAssertionsToHaveTextOptions Long = new() { Timeout = 120_000 };
    private static readonly LocatorAssertionsToHaveTextOptions Step = new() { Timeout = 60_000 };
    private static readonly string[] Hosts = ["run-b", "run-c", "run-d"];

    /// <summary>A window that is already under way, so the run is queued at once.</summary>
    private static DateTimeOffset UnderWay => DateTimeOffset.UtcNow.AddMinutes(-1);

    [Fact]
    public async Task Run_StartsAtItsWindowOccurrenceOnceApproved_AndHostStatesChangeLiveInTheBrowser()
    {
        // The next whole minute at least 45 s away: time to approve, then the run must wait for it, and not for long.
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(now.Second < 15 ? 1 : 2);
        var (planId, planName) = await fixture.ArrangePlanAwaitingApprovalAsync("Live run", Hosts, start);
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();

        await TestStep.RunAsync(page, "run-approve", async () =>
        {
            var plan = await PlanPage.OpenAsync(page, planId, planName);
            await Assertions.Expect(plan.State).ToHaveTextAsync("Pending approval");
            await plan.DecideAsync(approve: true, "go ahead in the next window");
            await Assertions.Expect(plan.State).ToHaveTextAsync("Scheduled", new() { Timeout = 30_000 });
            await page.Locator("[aria-label='Runs'] a[href^='/runs/']").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/runs/[0-9a-f-]{36}$"));
        });

        var run = new RunPage(page);
        var runId = Guid.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..]);
        await TestStep.RunAsync(page, "run-scheduled", async () =>
        {
            await run.WaitUntilReadyAsync();
            await Assertions.Expect(run.State).ToHaveTextAsync("Scheduled");
            await Assertions.Expect(run.Occurrence).ToContainTextAsync(RunsFixture.BrowserTimeZone);
            await page.EvaluateAsync("() => window.__patchportalNoReload = true");
        });

        await TestStep.RunAsync(page, "run-live", async () =>
        {
            await Assertions.Expect(run.State).ToHaveTextAsync("Running", Long);
            await Assertions.Expect(run.HostState("run-b")).ToHaveTextAsync("Patching", Step);
            await Assertions.Expect(run.HostState("run-c")).ToHaveTextAsync("Pending");
            await Assertions.Expect(run.HostState("run-b")).ToHaveTextAsync("Succeeded", Step);
            await Assertions.Expect(run.HostState("run-c")).ToHaveTextAsync("Patching", Step);
            await Assertions.Expect(run.State).ToHaveTextAsync("Succeeded", Long);
            foreach (var host in Hosts)
            {
                await Assertions.Expect(run.HostState(host)).ToHaveTextAsync("Succeeded");
            }

            await Assertions.Expect(run.Batch).ToHaveTextAsync("Batch 3 of 3");
            Assert.True(await page.EvaluateAsync<bool>("() => window.__patchportalNoReload === true"), "the page reloaded");
        });

        var done = await fixture.GetRunAsync(runId);
        Assert.True(done.StartedAt >= start, $"the run started at {done.StartedAt:O}, before its occurrence at {start:O}");
        foreach (var host in done.Hosts)
        {
            Assert.Equal(host.AgentJobId, Assert.Single(await fixture.PatchJobsAsync(host.HostName, done.StartedAt!.Value)).JobId);
        }
    }

    [Fact]
    public async Task Run_HaltsAtTheFailureLimit_AndSaysWhy_WhenAnAgentFails()
    {
        var runId = await fixture.ArrangeRunAsync("Halting run", [RunsFixture.FailingHost, "run-b", "run-c"], UnderWay, p =>
        {
            p.BatchSize = 1;
            p.MaxFailures = 0;
        });
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        var run = await RunPage.OpenAsync(page, runId);

        await TestStep.RunAsync(page, "run-halted", async () =>
        {
            await Assertions.Expect(run.State).ToHaveTextAsync("Failed", Long);
            await Assertions.Expect(run.Reason).ToHaveTextAsync("Halted: 1 host failed, more than the plan allows (0).");
            await Assertions.Expect(run.HostState(RunsFixture.FailingHost)).ToHaveTextAsync("Failed");
            await Assertions.Expect(run.HostRow(RunsFixture.FailingHost).Locator("[data-testid=host-error]")).Not.ToBeEmptyAsync();
            await Assertions.Expect(run.HostState("run-b")).ToHaveTextAsync("Skipped");
            await Assertions.Expect(run.HostState("run-c")).ToHaveTextAsync("Skipped");
        });
    }

    [Fact]
    public async Task Run_StartsNoNewHostWhilePaused_AndFinishesAfterResume()
    {
        // The first host's job is slow, so the page (however long it takes to load) sees it under way and pauses then.
        var runId = await fixture.ArrangeRunAsync("Paused run", [RunsFixture.SlowHost, "run-d"], UnderWay, p => p.BatchSize = 1);
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        var run = await RunPage.OpenAsync(page, runId);

        await TestStep.RunAsync(page, "run-pause", async () =>
        {
            await Assertions.Expect(run.HostState(RunsFixture.SlowHost)).ToHaveTextAsync("Patching", Step);
            await run.Control("Pause").ClickAsync();
            await Assertions.Expect(run.State).ToHaveTextAsync("Paused", Step);
            await Assertions.Expect(run.HostState(RunsFixture.SlowHost)).ToHaveTextAsync("Succeeded", Step);
            // Nothing starts while paused, however long it stays so (the engine looks again every second here).
            await page.WaitForTimeoutAsync(3000);
            await Assertions.Expect(run.State).ToHaveTextAsync("Paused");
            await Assertions.Expect(run.HostState("run-d")).ToHaveTextAsync("Pending");
            Assert.Equal(HostRunState.Pending, (await fixture.GetRunAsync(runId)).Hosts.Single(h => h.HostName == "run-d").State);
        });

        await TestStep.RunAsync(page, "run-resume", async () =>
        {
            await run.Control("Resume").ClickAsync();
            await Assertions.Expect(run.State).ToHaveTextAsync("Succeeded", Long);
            await Assertions.Expect(run.HostState("run-d")).ToHaveTextAsync("Succeeded");
        });
    }

    [Fact]
    public async Task Run_LetsTheRunningHostFinishAndSkipsTheRest_WhenCancelledWithAReason()
    {
        var runId = await fixture.ArrangeRunAsync("Cancelled run", ["run-b", RunsFixture.SlowHost, "run-d"], UnderWay, p => p.BatchSize = 1);
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        var run = await RunPage.OpenAsync(page, runId);

        await TestStep.RunAsync(page, "run-cancel", async () =>
        {
            await run.PrepareCancelAsync("Change freeze announced");
            // The table keeps updating under the dialog: confirm once the second (slow) host is being patched.
            await Assertions.Expect(run.HostState(RunsFixture.SlowHost)).ToHaveTextAsync("Patching", Step);
            await run.ConfirmCancelAsync();
            await Assertions.Expect(run.State).ToHaveTextAsync("Cancelled", Long);
            await Assertions.Expect(run.Reason).ToHaveTextAsync($"Cancelled by {RunsFixture.AdminEmail}: Change freeze announced");
            await Assertions.Expect(run.HostState("run-b")).ToHaveTextAsync("Succeeded");
            await Assertions.Expect(run.HostState(RunsFixture.SlowHost)).ToHaveTextAsync("Succeeded");
            await Assertions.Expect(run.HostState("run-d")).ToHaveTextAsync("Skipped");
            await Assertions.Expect(run.HostRow("run-d")).ToContainTextAsync("Cancelled by");
        });
    }

    [Fact]
    public async Task Host_IsRolledBackThroughItsAgent_WhenAnOperatorRollsItBackAfterTheRun()
    {
        var runId = await fixture.ArrangeRunAsync("Rolled back run", [RunsFixture.RollbackHost], UnderWay);
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        var run = await RunPage.OpenAsync(page, runId);

        await TestStep.RunAsync(page, "run-rollback", async () =>
        {
            await Assertions.Expect(run.State).ToHaveTextAsync("Succeeded", Long);
            await run.HostRow(RunsFixture.RollbackHost).GetByRole(AriaRole.Button, new() { Name = "Roll back", Exact = true }).ClickAsync();
            var confirm = page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = $"Roll back {RunsFixture.RollbackHost}?" });
            await confirm.GetByRole(AriaRole.Button, new() { Name = "Roll back", Exact = true }).ClickAsync();
            await Assertions.Expect(run.HostState(RunsFixture.RollbackHost)).ToHaveTextAsync("RolledBack", Step);
            await Assertions.Expect(run.HostRow(RunsFixture.RollbackHost)).ToContainTextAsync("Rolled back:");
        });

        var done = await fixture.GetRunAsync(runId);
        Assert.NotNull(Assert.Single(done.Hosts).RollbackJobId);
    }

    [Fact]
    public async Task Run_FinishesAfterThePortalIsKilledMidRun_WithEveryHostPatchedExactlyOnce()
    {
        var hosts = Hosts;
        var runId = await fixture.ArrangeRunAsync("Restarted run", hosts, UnderWay, p => p.BatchSize = 1);

        // Mid-run: one host done, the next one's agent job started and recorded.
        await Wait.UntilAsync(async () =>
        {
            var current = await fixture.GetRunAsync(runId);
            return current.Hosts.Any(h => h.State == HostRunState.Succeeded) && current.Hosts.Any(h => h.State == HostRunState.Patching && h.AgentJobId is not null);
        }, TimeSpan.FromSeconds(120), "one host patched and the next one's job under way");

        await fixture.RestartPortalAsync();

        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        var run = await RunPage.OpenAsync(page, runId);
        await TestStep.RunAsync(page, "run-after-restart", async () =>
        {
            await Assertions.Expect(run.State).ToHaveTextAsync("Succeeded", Long);
            foreach (var host in hosts)
            {
                await Assertions.Expect(run.HostState(host)).ToHaveTextAsync("Succeeded");
            }
        });

        var done = await fixture.GetRunAsync(runId);
        Assert.Equal(3, done.Hosts.Count);
        Assert.All(done.Hosts, h => Assert.Equal((HostRunState.Succeeded, 1), (h.State, h.Attempts)));
        foreach (var host in done.Hosts)
        {
            // The agent's own record: exactly one patch job since the run started, the one the run recorded.
            var jobs = await fixture.PatchJobsAsync(host.HostName, done.StartedAt!.Value);
            Assert.True(jobs.Count == 1 && jobs[0].JobId == host.AgentJobId,
                $"{host.HostName} (recorded job {host.AgentJobId}, run started {done.StartedAt:O}): {string.Join("; ", jobs)}");
        }
    }
}
