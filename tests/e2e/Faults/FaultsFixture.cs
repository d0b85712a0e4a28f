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

namespace PatchPortal.Tests.E2E.Faults;

/// <summary>
/// A portal of the fault tests' own (they own 127.0.0.150-159: the portal on .150, agents from .151) that retries
/// unreachable hosts after one second, then two, and two real simulated-backend agents added in its host list and
/// enrolled with the command it showed. Tests stop and start the agents by their handles, arrange windows and
/// approved plans through the portal's database and run scheduler (as the runs tests do), and read the outcome from
/// the database and from the agents' own job lists.
/// </summary>
public sealed class FaultsFixture : IAsyncLifetime
{
    public const string AdminEmail = "admin@faults.e2e.test";
    public const string AdminPassword = "E2e-Faults-Passw0rd";
    public const string ZoneId = "Europe/Berlin";

    /// <summary>Its agent is down when the run starts and comes back before the cutoff.</summary>
    public const string ReturningHost = "flt-back";

    /// <summary>Its agent is down from before the run until after the cutoff.</summary>
    public const string DownHost = "flt-down";

    private static readonly IReadOnlyList<(string Name, string Address)> AgentAddresses = [(ReturningHost, "127.0.0.151"), (DownHost, "127.0.0.152")];
    private static readonly TimeSpan PortalStart = TimeSpan.FromSeconds(90);
    private readonly TestPki _unused = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("patchportal-faults-").FullName;

    public PortalProcess Portal { get; private set; } = default!;

    /// <summary>The agents by host name.</summary>
    public Dictionary<string, AgentProcess> Agents { get; } = [];

    public async Task InitializeAsync()
    {
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings();
        var dataDir = Directory.CreateDirectory(Path.Combine(_directory, "portal")).FullName;
        Portal = await PortalProcess.StartNodeAsync(
            new Dictionary<string, string>
            {
                ["Portal:Admin:Email"] = AdminEmail,
                ["Portal:Admin:Password"] = AdminPassword,
                ["Portal:Runs:PollSeconds"] = "1",
                ["Portal:Runs:RetryBaseSeconds"] = "1",
                ["Portal:Runs:RetryMaxSeconds"] = "2",
                ["Portal:Runs:LeaseSeconds"] = "10",
            },
            PortalStart,
            dataDir,
            IPAddress.Parse("127.0.0.150"));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserFactory.LaunchChromiumAsync(playwright);
        var options = new BrowserNewContextOptions
        {
            BaseURL = Portal.BaseAddress.ToString(),
            TimezoneId = ZoneId,
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        };
        await using (var anonymous = await browser.NewContextAsync(options))
        {
            var signIn = await anonymous.NewPageAsync();
            var login = await LoginPage.OpenAsync(signIn, Portal.BaseAddress);
            await login.SignInAsync(AdminEmail, AdminPassword);
            await new ShellPage(signIn).WaitUntilReadyAsync();
            options.StorageStatePath = Path.Combine(_directory, "admin-state.json");
            await anonymous.StorageStateAsync(new BrowserContextStorageStateOptions { Path = options.StorageStatePath });
        }

        await using var context = await browser.NewContextAsync(options);
        var page = await context.NewPageAsync();
        var hosts = await HostsPage.OpenAsync(page);
        foreach (var (name, address) in AgentAddresses)
        {
            var ticket = await hosts.AddHostAsync(name, address) ?? throw new InvalidOperationException("the portal issued no enrolment token");
            Agents[name] = await EnrolAndStartAsync(name, IPAddress.Parse(address), ticket.Command);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in Agents.Values)
        {
            await agent.DisposeAsync();
        }

        if (Portal is not null)
        {
            await Portal.DisposeAsync();
        }

        _unused.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying process; the temp directory is cleaned by the OS eventually.
        }
    }

    /// <summary>
    /// A one-off window in <see cref="ZoneId"/> that opened at the current whole minute and lets hosts start until the
    /// first whole minute at least <paramref name="atLeast"/> away (windows are whole minutes), an approved plan for
    /// <paramref name="hosts"/> in it, handed to the portal's run scheduler as the plans feature does on approval:
    /// the run is queued at once. Returns the run's id.
    /// </summary>
    public async Task<Guid> ArrangeRunAsync(string planName, IReadOnlyList<string> hosts, TimeSpan atLeast)
    {
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        var cutoffAfter = (int)Math.Ceiling((now + atLeast - start).TotalMinutes);
        await using var services = DatabaseServices();
        var factory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var plan = await RunArrangement.AddPlanAsync(factory, planName, hosts, ZoneId, start, cutoffAfter + 1, 1, "operator@faults.e2e.test");
        using var storage = new SQLiteStorage(Path.Combine(Portal.DataDir, "hangfire.db"), new SQLiteStorageOptions());
        return await RunArrangement.ScheduleAsync(factory, storage, plan.Id, "approver@faults.e2e.test");
    }

    public async Task<PatchRun> GetRunAsync(Guid runId)
    {
        await using var services = DatabaseServices();
        return await RunArrangement.GetRunAsync(services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), runId);
    }

    /// <summary>Polls the portal's database until the run satisfies <paramref name="condition"/>.</summary>
    public async Task<PatchRun> WaitForRunAsync(Guid runId, Func<PatchRun, bool> condition, TimeSpan timeout, string what)
    {
        PatchRun? last = null;
        try
        {
            return await Wait.ForAsync(async () => condition(last = await GetRunAsync(runId)) ? last : null, timeout, what);
        }
        catch (TimeoutException e)
        {
            var hosts = last is null ? "" : string.Join(", ", last.Hosts.Select(h => $"{h.HostName}={h.State} ({h.Message})"));
            throw new TimeoutException($"{e.Message}; run {last?.State}, hosts {hosts}", e);
        }
    }

    /// <summary>The patch jobs an agent ran since <paramref name="since"/>, from the agent itself (as the portal's client).</summary>
    public async Task<IReadOnlyList<JobSummary>> PatchJobsAsync(string hostName, DateTimeOffset since)
    {
        await using var services = DatabaseServices();
        return await RunArrangement.PatchJobsAsync(services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), Path.Combine(Portal.DataDir, "pki"), hostName, since);
    }

    private ServiceProvider DatabaseServices() =>
        new ServiceCollection().AddPortalDatabase(PortalDatabase.Sqlite, $"Data Source={Path.Combine(Portal.DataDir, "portal.db")}").BuildServiceProvider();

    /// <summary>What the admin is told to do on the host: run the shown command (with a free port), then start the agent.</summary>
    private Task<AgentProcess> EnrolAndStartAsync(string name, IPAddress address, string command) =>
        AgentEnrollment.EnrolAndStartAsync(_directory, name, address, command, _unused, jobDurationMs: 500);
}

[CollectionDefinition(Name)]
public sealed class FaultsTests : ICollectionFixture<FaultsFixture>
{
    public const string Name = "faults";
}
