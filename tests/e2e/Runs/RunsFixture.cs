using System.Net;
using Hangfire;
using Hangfire.Storage.SQLite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Runs;

/// <summary>
/// A portal of the runs tests' own (they restart it) with six real agents in the simulated backend, each added in
/// the portal's host list and enrolled with the command it showed. run-a fails every job; the others succeed.
/// Jobs take seconds (run-c-slow's fifteen), so a browser can watch hosts change state. Tests arrange windows and approved plans through
/// the portal's database and its run scheduler (the plan pages are another feature's), then act in the browser.
/// </summary>
public sealed class RunsFixture : IAsyncLifetime
{
    public const string AdminEmail = "admin@runs.e2e.test";
    public const string AdminPassword = "E2e-Runs-Passw0rd";
    public const string BrowserTimeZone = "Europe/Berlin";
    public const string FailingHost = "run-a";

    /// <summary>
    /// Its jobs take <see cref="SlowJobMs"/>: long enough for a browser under load to see it patching and act. Batches
    /// follow host names, so it is patched after run-b and before run-d.
    /// </summary>
    public const string SlowHost = "run-c-slow";

    private const int JobMs = 3000;
    private const int SlowJobMs = 15_000;

    /// <summary>The agents: name and loopback address (the runs tests own 127.0.0.40-49).</summary>
    public static readonly IReadOnlyList<(string Name, string Address)> Agents =
        [(FailingHost, "127.0.0.40"), ("run-b", "127.0.0.41"), ("run-c", "127.0.0.42"), ("run-d", "127.0.0.43"), (RollbackHost, "127.0.0.44"), (SlowHost, "127.0.0.45")];

    /// <summary>Patched by the rollback test only, so its first run has package changes to undo.</summary>
    public const string RollbackHost = "run-e";

    private static readonly TimeSpan PortalStart = TimeSpan.FromSeconds(90);
    private readonly List<AgentProcess> _agents = [];
    private readonly TestPki _unused = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("patchportal-runs-").FullName;
    private IPlaywright? _playwright;
    private string? _adminState;

    public PortalProcess Portal { get; private set; } = default!;

    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings();
        Portal = await PortalProcess.StartAsync(
            new Dictionary<string, string>
            {
                ["Portal:Admin:Email"] = AdminEmail,
                ["Portal:Admin:Password"] = AdminPassword,
                ["Portal:Runs:PollSeconds"] = "1",
                ["Portal:Runs:RetryBaseSeconds"] = "2",
                ["Portal:Runs:LeaseSeconds"] = "10",
            },
            PortalStart);
        _playwright = await Playwright.CreateAsync();
        Browser = await BrowserFactory.LaunchChromiumAsync(_playwright);

        await using var context = await NewAdminContextAsync();
        var page = await context.NewPageAsync();
        var hosts = await HostsPage.OpenAsync(page);
        foreach (var (name, address) in Agents)
        {
            var ticket = await hosts.AddHostAsync(name, address) ?? throw new InvalidOperationException("the portal issued no enrolment token");
            await EnrolAndStartAsync(name, IPAddress.Parse(address), ticket.Command, failing: name == FailingHost, name == SlowHost ? SlowJobMs : JobMs);
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        if (Portal is not null)
        {
            await Portal.DisposeAsync();
        }

        _unused.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A browser context signed in as the admin (an Operator's powers and more), against the current portal.</summary>
    public async Task<IBrowserContext> NewAdminContextAsync()
    {
        if (_adminState is null)
        {
            await using var anonymous = await Browser.NewContextAsync(ContextOptions(null));
            var page = await anonymous.NewPageAsync();
            var login = await LoginPage.OpenAsync(page, Portal.BaseAddress);
            await login.SignInAsync(AdminEmail, AdminPassword);
            await new ShellPage(page).WaitUntilReadyAsync();
            _adminState = Path.Combine(_directory, "admin-state.json");
            await anonymous.StorageStateAsync(new BrowserContextStorageStateOptions { Path = _adminState });
        }

        return await Browser.NewContextAsync(ContextOptions(_adminState));
    }

    /// <summary>Kills the portal mid-whatever and starts it again on the same data (it comes back on a new port).</summary>
    public async Task RestartPortalAsync()
    {
        var old = Portal;
        Portal = await old.RestartAsync(PortalStart);
        await old.DisposeAsync();
    }

    /// <summary>
    /// A one-off window in Europe/Berlin starting at <paramref name="windowStart"/> (an hour long, no host starts in
    /// its last five minutes), an approved plan for <paramref name="hosts"/> in its next occurrence, handed to the
    /// portal's run scheduler exactly as the plans feature does on approval. Returns the scheduled run's id.
    /// </summary>
    public async Task<Guid> ArrangeRunAsync(string planName, IReadOnlyList<string> hosts, DateTimeOffset windowStart, Action<PatchPlan>? configure = null)
    {
        await using var services = DatabaseServices();
        var factory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var plan = await RunArrangement.AddPlanAsync(factory, planName, hosts, BrowserTimeZone, windowStart, 60, 5, "operator@runs.e2e.test", configure);
        using var storage = new SQLiteStorage(Path.Combine(Portal.DataDir, "hangfire.db"), new SQLiteStorageOptions());
        return await RunArrangement.ScheduleAsync(factory, storage, plan.Id, "approver@runs.e2e.test");
    }

    /// <summary>
    /// The same window and plan, but submitted and waiting for one approval, with its dry-run manifest stored (a plan
    /// is approved on what its dry run said): the portal schedules its run when someone approves it in the browser.
    /// </summary>
    public async Task<(Guid Id, string Name)> ArrangePlanAwaitingApprovalAsync(string planName, IReadOnlyList<string> hosts, DateTimeOffset windowStart)
    {
        await using var services = DatabaseServices();
        var factory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var plan = await RunArrangement.AddPlanAsync(factory, planName, hosts, BrowserTimeZone, windowStart, 60, 5, "operator@runs.e2e.test",
            state: PlanState.PendingApproval);
        return (plan.Id, plan.Name);
    }

    public async Task<PatchRun> GetRunAsync(Guid runId)
    {
        await using var services = DatabaseServices();
        return await RunArrangement.GetRunAsync(services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), runId);
    }

    /// <summary>The patch jobs an agent ran since <paramref name="since"/>, from the agent itself (as the portal's client).</summary>
    public async Task<IReadOnlyList<JobSummary>> PatchJobsAsync(string hostName, DateTimeOffset since)
    {
        await using var services = DatabaseServices();
        return await RunArrangement.PatchJobsAsync(services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), Path.Combine(Portal.DataDir, "pki"), hostName, since);
    }

    private ServiceProvider DatabaseServices() =>
        new ServiceCollection().AddPortalDatabase(PortalDatabase.Sqlite, $"Data Source={Path.Combine(Portal.DataDir, "portal.db")}").BuildServiceProvider();

    private BrowserNewContextOptions ContextOptions(string? storageState) => new()
    {
        BaseURL = Portal.BaseAddress.ToString(),
        TimezoneId = BrowserTimeZone,
        StorageStatePath = storageState,
        ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
    };

    /// <summary>What the admin is told to do on the host: run the shown command (with a free port), then start the agent.</summary>
    private async Task EnrolAndStartAsync(string name, IPAddress address, string command, bool failing, int jobMs) =>
        _agents.Add(await AgentEnrollment.EnrolAndStartAsync(_directory, name, address, command, _unused, jobDurationMs: jobMs, failureRate: failing ? 1.0 : 0.0));
}

[CollectionDefinition(Name)]
public sealed class RunsTests : ICollectionFixture<RunsFixture>
{
    public const string Name = "runs";
}
