using Bunit;
using Hangfire;
using Hangfire.Storage.SQLite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Runs;
using PatchPortal.Portal.Shell;
using PatchPortal.Tests.Unit.Portal.Inventory;
using PatchPortal.Tests.Unit.Portal.Shell;

namespace PatchPortal.Tests.Unit.Portal.Runs;

/// <summary>The run list and run page over a real database, updated live through the run hub.</summary>
[Collection(HangfireGlobalState.Name)]
public sealed class RunPagesTests : PortalComponentTestContext, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Occurrence = new(2026, 11, 29, 1, 0, 0, TimeSpan.Zero);
    private readonly RunsDatabase _database = new();
    private readonly RunEventHub _events = new();
    private readonly SQLiteStorage _storage;

    public RunPagesTests()
    {
        _storage = new SQLiteStorage(Path.Combine(_database.Directory, "hangfire.db"), new SQLiteStorageOptions());
        Services.AddSingleton<IDbContextFactory<PortalDbContext>>(_database);
        Services.AddSingleton(_events);
        Services.AddSingleton(new RunQuery(_database));
        Services.AddSingleton(new RunControl(_database, new ScriptedAgentClient(), new BackgroundJobClient(_storage), new RunSignals(), _events,
            new AuditLog(_database, TimeProvider.System), TimeProvider.System));
        JSInterop.Setup<string?>("patchPortal.timeZone").SetResult("Europe/Berlin");
        SignInAs(PortalRoles.Operator, "operator@test");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        _storage.Dispose();
        _database.Dispose();
    }

    /// <summary>A running run of a plan named "October patching" on web-1 (patching) and web-2 (waiting), cutoff far ahead.</summary>
    private async Task<(PatchRun Run, PatchPlan Plan)> RunningAsync(RunState state = RunState.Running)
    {
        var window = await _database.AddWindowAsync();
        var web1 = await _database.AddHostAsync("web-1");
        var web2 = await _database.AddHostAsync("web-2");
        var plan = await _database.AddApprovedPlanAsync(window, [web1, web2], p => p.Name = "October patching", PlanState.Running);
        var run = new PatchRun
        {
            PlanId = plan.Id,
            OccurrenceStart = Occurrence,
            OccurrenceEnd = Occurrence.AddHours(2),
            CutoffAt = DateTimeOffset.UtcNow.AddDays(1),
            State = state,
            StartedAt = Occurrence,
            CurrentBatch = 0,
        };
        run.Hosts.Add(new HostRun { HostId = web1.Id, HostName = "web-1", BatchNumber = 0, IsCanary = true, State = HostRunState.Patching, Attempts = 1, ProgressPercent = 40, AgentJobId = "job-7", OutputExcerpt = "Unpacking openssl (3.5.1-1+deb13u1) ...", Message = "Installing openssl" });
        run.Hosts.Add(new HostRun { HostId = web2.Id, HostName = "web-2", BatchNumber = 1, State = HostRunState.Pending });
        await using var db = _database.CreateDbContext();
        db.PatchRuns.Add(run);
        await db.SaveChangesAsync();
        return (run, plan);
    }

    private IRenderedComponent<RunPage> RenderRun(Guid id) => Render<RunPage>(p => p.Add(c => c.Id, id));

    private static string HostRow(IRenderedComponent<RunPage> cut, string host) =>
        cut.FindAll("tr.host-row").Single(r => r.TextContent.Contains(host, StringComparison.Ordinal)).TextContent;

    [Fact]
    public async Task RunPage_ShowsPlanLinkOccurrenceInViewerZoneBatchAndCounts_WhenLoaded()
    {
        var (run, plan) = await RunningAsync();

        var cut = RenderRun(run.Id);

        cut.WaitForAssertion(() =>
        {
            Assert.Equal($"/plans/{plan.Id}", cut.Find("[data-testid=plan-link]").GetAttribute("href"));
            Assert.StartsWith("2026-11-29 02:00:00 Europe/Berlin", cut.Find("[data-testid=run-occurrence]").TextContent, StringComparison.Ordinal);
            Assert.Equal("Batch 1 of 2", cut.Find("[data-testid=run-batch]").TextContent);
            Assert.Equal("Running", cut.Find("[data-testid=run-state]").TextContent.Trim());
            Assert.Equal(("2", "1", "1"), (cut.Find("[data-testid=count-all]").TextContent, cut.Find("[data-testid=count-active]").TextContent, cut.Find("[data-testid=count-pending]").TextContent));
            Assert.Contains("canary", HostRow(cut, "web-1"), StringComparison.Ordinal);
            Assert.Contains("40 %", HostRow(cut, "web-1"), StringComparison.Ordinal);
        }, Timeout);
    }

    [Fact]
    public async Task RunPage_ShowsHostStateChangeWithoutReload_WhenEnginePublishes()
    {
        var (run, _) = await RunningAsync();
        var cut = RenderRun(run.Id);
        cut.WaitForAssertion(() => Assert.Contains("Patching", HostRow(cut, "web-1"), StringComparison.Ordinal), Timeout);

        long hostRunId;
        await using (var db = _database.CreateDbContext())
        {
            var host = await db.HostRuns.SingleAsync(h => h.HostName == "web-1");
            host.State = HostRunState.Succeeded;
            host.ProgressPercent = 100;
            host.KernelAfter = "6.12.9-1-amd64";
            host.Message = "Patched 3 packages";
            await db.SaveChangesAsync();
            hostRunId = host.Id;
        }

        _events.Publish(new RunChanged(run.Id, hostRunId));

        cut.WaitForAssertion(() =>
        {
            var row = HostRow(cut, "web-1");
            Assert.Contains("Succeeded", row, StringComparison.Ordinal);
            Assert.Contains("6.12.9-1-amd64", row, StringComparison.Ordinal);
            Assert.Contains("Patched 3 packages", row, StringComparison.Ordinal);
            Assert.Equal("1", cut.Find("[data-testid=count-succeeded]").TextContent);
        }, Timeout);
    }

    [Fact]
    public async Task RunPage_ShowsOnePageOfHostsAndFindsOneByName_WhenTheRunIsLarge()
    {
        var (run, _) = await RunningAsync();
        await using (var db = _database.CreateDbContext())
        {
            for (var i = 0; i < 118; i++)
            {
                var host = await _database.AddHostAsync($"db-{i:000}");
                db.HostRuns.Add(new HostRun { RunId = run.Id, HostId = host.Id, HostName = host.Name, BatchNumber = 2 + (i / 10), State = HostRunState.Pending });
            }

            await db.SaveChangesAsync();
        }

        var cut = RenderRun(run.Id);
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("120", cut.Find("[data-testid=count-all]").TextContent);
            Assert.Equal(50, cut.FindAll("tr.host-row").Count);
            Assert.NotEmpty(cut.FindAll(".mud-table-pagination"));
        }, Timeout);

        cut.Find("input[aria-label='Find a host']").Input("DB-117");

        cut.WaitForAssertion(() => Assert.Contains("db-117", Assert.Single(cut.FindAll("tr.host-row")).TextContent, StringComparison.Ordinal), Timeout);
    }

    [Fact]
    public async Task RunPage_ShowsOutput_WhenHostRowIsExpanded()
    {
        var (run, _) = await RunningAsync();
        var cut = RenderRun(run.Id);
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=host-output]")), Timeout);

        cut.Find("button[aria-label='Output of web-1']").Click();

        cut.WaitForAssertion(() => Assert.Equal("Unpacking openssl (3.5.1-1+deb13u1) ...", cut.Find("[data-testid=host-output]").TextContent), Timeout);
    }

    [Fact]
    public async Task RunPage_PausesRunAndAudits_WhenOperatorClicksPause()
    {
        var (run, _) = await RunningAsync();
        var cut = RenderRun(run.Id);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("button"), b => b.TextContent.Contains("Pause", StringComparison.Ordinal)), Timeout);

        cut.FindAll("button").Single(b => b.TextContent.Contains("Pause", StringComparison.Ordinal)).Click();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("Pausing", cut.Find("[data-testid=run-state]").TextContent.Trim());
            Assert.Contains(cut.FindAll("button"), b => b.TextContent.Contains("Resume", StringComparison.Ordinal));
        }, Timeout);
        Assert.True((await _database.GetRunAsync(run.Id)).PauseRequested);
        Assert.Equal("operator@test", Assert.Single(await _database.AuditAsync(AuditActions.RunPaused)).Actor);
    }

    [Fact]
    public async Task RunPage_ShowsNoControls_WhenUserIsViewer()
    {
        SignInAs(PortalRoles.Viewer, "viewer@test");
        var (run, _) = await RunningAsync();

        var cut = RenderRun(run.Id);

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(2, cut.FindAll("tr.host-row").Count);
            Assert.DoesNotContain(cut.FindAll("button"), b => b.TextContent.Contains("Pause", StringComparison.Ordinal) || b.TextContent.Contains("Cancel run", StringComparison.Ordinal));
        }, Timeout);
    }

    [Fact]
    public void RunPage_SaysRunIsMissing_WhenIdIsUnknown()
    {
        var cut = RenderRun(Guid.NewGuid());

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=run-missing]")), Timeout);
    }

    [Fact]
    public async Task RunList_ShowsOnlyRunsInStateFromUrl_WhenFilteredByState()
    {
        var (running, _) = await RunningAsync();
        var other = await _database.AddHostAsync("db-1");
        var plan = await _database.AddApprovedPlanAsync(null, [other], p => p.Name = "Database patching", PlanState.Running);
        await using (var db = _database.CreateDbContext())
        {
            db.PatchRuns.Add(new PatchRun { PlanId = plan.Id, OccurrenceStart = Occurrence.AddDays(-7), OccurrenceEnd = Occurrence, CutoffAt = Occurrence, State = RunState.Failed, StateReason = "Halted: canary host db-1 failed." });
            await db.SaveChangesAsync();
        }

        var navigation = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        navigation.NavigateTo("/runs?state=Failed");
        var cut = Render<RunList>();

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("table[aria-label='Runs'] tbody tr, [aria-label='Runs'] tbody tr").Select(r => r.TextContent).ToList();
            var row = Assert.Single(rows);
            Assert.Contains("Database patching", row, StringComparison.Ordinal);
            Assert.Contains("Halted: canary host db-1 failed.", row, StringComparison.Ordinal);
        }, Timeout);
        Assert.NotEqual(Guid.Empty, running.Id);
    }

    [Fact]
    public async Task RunList_ShowsNewStateWithoutReload_WhenRunChanges()
    {
        var (run, _) = await RunningAsync();
        var cut = Render<RunList>();
        cut.WaitForAssertion(() => Assert.Contains("Running", cut.Find("[data-testid=run-state]").TextContent, StringComparison.Ordinal), Timeout);

        await using (var db = _database.CreateDbContext())
        {
            await db.PatchRuns.Where(r => r.Id == run.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RunState.Succeeded));
        }

        _events.Publish(new RunChanged(run.Id));

        cut.WaitForAssertion(() => Assert.Contains("Succeeded", cut.Find("[data-testid=run-state]").TextContent, StringComparison.Ordinal), Timeout);
    }

    [Fact]
    public void NavMenu_LinksToRuns_WhenUserHasAnyRole()
    {
        SignInAs(PortalRoles.Viewer);

        var cut = Render<NavMenu>();

        Assert.Contains(cut.FindAll("a"), a => a.GetAttribute("href") == "/runs" && a.TextContent.Contains("Runs", StringComparison.Ordinal));
    }
}
