using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;
using PatchPortal.Tests.Postgres;

namespace PatchPortal.Tests.E2E.Cluster;

/// <summary>
/// Two portal nodes on one throw-away PostgreSQL cluster (the scale-out tests own 127.0.0.120-139: PostgreSQL on .120,
/// the nodes on .121 and .122, agents from .123), sharing one data directory for the CA and the data-protection keys
/// as nodes behind one address would share them. Four simulated agents are added and enrolled through node A's host
/// list with the command it shows. Every process is stopped through its own handle.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string AdminEmail = "admin@cluster.e2e.test";
    public const string AdminPassword = "E2e-Cluster-Passw0rd";
    public const string BrowserTimeZone = "Europe/Berlin";

    public static readonly IReadOnlyList<(string Name, string Address)> Agents =
        [("cl-a", "127.0.0.123"), ("cl-b", "127.0.0.124"), ("cl-c", "127.0.0.125"), ("cl-d", "127.0.0.126")];

    private static readonly TimeSpan NodeStart = TimeSpan.FromSeconds(120);
    private readonly List<AgentProcess> _agents = [];
    private readonly TestPki _unused = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("patchportal-cluster-").FullName;
    private readonly Dictionary<string, string> _adminStates = [];
    private IPlaywright? _playwright;
    private ServiceProvider? _database;

    public PostgresCluster Postgres { get; private set; } = default!;

    public string ConnectionString { get; private set; } = "";

    /// <summary>The nodes by name ("node-a", "node-b").</summary>
    public Dictionary<string, PortalProcess> Nodes { get; } = [];

    public IBrowser Browser { get; private set; } = default!;

    private string DataDir => Path.Combine(_directory, "portal");

    public async Task InitializeAsync()
    {
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings();
        Postgres = await PostgresCluster.StartAsync("127.0.0.120", TimeSpan.FromSeconds(60));
        ConnectionString = await Postgres.CreateDatabaseAsync("patchportal");
        _database = new ServiceCollection().AddPortalDatabase(PortalDatabase.Postgres, ConnectionString).BuildServiceProvider();
        Directory.CreateDirectory(DataDir);
        // One after the other: the first creates the schema, the CA and the admin; the second finds them.
        Nodes["node-a"] = await StartNodeAsync("node-a", IPAddress.Parse("127.0.0.121"));
        Nodes["node-b"] = await StartNodeAsync("node-b", IPAddress.Parse("127.0.0.122"));
        _playwright = await Playwright.CreateAsync();
        Browser = await BrowserFactory.LaunchChromiumAsync(_playwright);

        // Signed in on both nodes up front: the test opens its page on whichever node does not run the run, at once.
        await using (await NewAdminContextAsync("node-b"))
        {
        }

        await using var context = await NewAdminContextAsync("node-a");
        var page = await context.NewPageAsync();
        var hosts = await HostsPage.OpenAsync(page);
        foreach (var (name, address) in Agents)
        {
            var ticket = await hosts.AddHostAsync(name, address) ?? throw new InvalidOperationException("the portal issued no enrolment token");
            await EnrolAndStartAsync(name, IPAddress.Parse(address), ticket.Command);
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

        foreach (var node in Nodes.Values)
        {
            await node.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }

        _unused.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A browser context signed in as the admin on <paramref name="node"/>.</summary>
    public async Task<IBrowserContext> NewAdminContextAsync(string node)
    {
        var portal = Nodes[node];
        if (!_adminStates.TryGetValue(node, out var state))
        {
            await using var anonymous = await Browser.NewContextAsync(ContextOptions(portal, null));
            var page = await anonymous.NewPageAsync();
            var login = await LoginPage.OpenAsync(page, portal.BaseAddress);
            await login.SignInAsync(AdminEmail, AdminPassword);
            await new ShellPage(page).WaitUntilReadyAsync();
            state = Path.Combine(_directory, $"admin-{node}.json");
            await anonymous.StorageStateAsync(new BrowserContextStorageStateOptions { Path = state });
            _adminStates[node] = state;
        }

        return await Browser.NewContextAsync(ContextOptions(portal, state));
    }

    /// <summary>
    /// A one-off window already under way and an approved plan for <paramref name="hosts"/>, handed to the run scheduler
    /// as the plans feature does on approval: the run is queued in the shared Hangfire storage for any node to take.
    /// </summary>
    public async Task<Guid> ArrangeRunAsync(string planName, IReadOnlyList<string> hosts, Action<PatchPlan>? configure = null)
    {
        var plan = await RunArrangement.AddPlanAsync(Factory, planName, hosts, BrowserTimeZone, DateTimeOffset.UtcNow.AddMinutes(-1), 60, 5,
            "operator@cluster.e2e.test", configure);
        var storageOptions = new PostgreSqlStorageOptions { SchemaName = "hangfire", PrepareSchemaIfNecessary = false };
        var storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(ConnectionString, storageOptions, null), storageOptions);
        return await RunArrangement.ScheduleAsync(Factory, storage, plan.Id, "approver@cluster.e2e.test");
    }

    public Task<PatchRun> GetRunAsync(Guid runId) => RunArrangement.GetRunAsync(Factory, runId);

    /// <summary>Polls the shared database until the run satisfies <paramref name="condition"/>.</summary>
    public async Task<PatchRun> WaitForRunAsync(Guid runId, Func<PatchRun, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await GetRunAsync(runId);
            if (condition(run))
            {
                return run;
            }

            if (DateTime.UtcNow > deadline)
            {
                var hosts = string.Join(", ", run.Hosts.Select(h => $"{h.HostName}={h.State}"));
                throw new TimeoutException($"{what}: not within {timeout}; run {run.State} (claim {run.LeaseOwner}), hosts {hosts}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>The patch jobs an agent ran since <paramref name="since"/>, from the agent itself (as the portal's client).</summary>
    public Task<IReadOnlyList<JobSummary>> PatchJobsAsync(string hostName, DateTimeOffset since) =>
        RunArrangement.PatchJobsAsync(Factory, Path.Combine(DataDir, "pki"), hostName, since);

    private IDbContextFactory<PortalDbContext> Factory => _database!.GetRequiredService<IDbContextFactory<PortalDbContext>>();

    private Task<PortalProcess> StartNodeAsync(string name, IPAddress address) => PortalProcess.StartNodeAsync(
        new Dictionary<string, string>
        {
            ["Portal:NodeName"] = name,
            ["Portal:Database:Provider"] = "postgresql",
            ["Portal:Database:ConnectionString"] = ConnectionString,
            ["Portal:Admin:Email"] = AdminEmail,
            ["Portal:Admin:Password"] = AdminPassword,
            ["Portal:Runs:PollSeconds"] = "1",
            ["Portal:Runs:LeaseSeconds"] = "10",
            ["Portal:Runs:MaxConcurrentHosts"] = "1",
        },
        NodeStart,
        DataDir,
        address);

    private static BrowserNewContextOptions ContextOptions(PortalProcess portal, string? storageState) => new()
    {
        BaseURL = portal.BaseAddress.ToString(),
        TimezoneId = BrowserTimeZone,
        StorageStatePath = storageState,
        ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
    };

    /// <summary>What the admin is told to do on the host: run the shown command (with a free port), then start the agent.</summary>
    private async Task EnrolAndStartAsync(string name, IPAddress address, string command)
    {
        var port = Repository.FreePort(address);
        var home = Directory.CreateDirectory(Path.Combine(_directory, name)).FullName;
        var config = Path.Combine(home, "agent.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["Agent"] = new JsonObject
            {
                ["Urls"] = $"https://{address}:{port}",
                ["Backend"] = "simulated",
                ["DataDir"] = Path.Combine(home, "data"),
                ["Tls"] = new JsonObject
                {
                    ["Certificate"] = Path.Combine(home, "certs", "server.pem"),
                    ["Key"] = Path.Combine(home, "certs", "server.key"),
                    ["ClientCa"] = Path.Combine(home, "certs", "ca.pem"),
                },
                ["Simulated"] = new JsonObject { ["JobDurationMs"] = 10000, ["FailureRate"] = 0.0 },
            },
        }.ToJsonString());

        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(w => w != "enroll").ToList();
        words[words.IndexOf("--port") + 1] = port.ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Repository.ProductPath("Agent", "patch-agent.dll"));
        foreach (var word in words.Concat(["--config", config]))
        {
            start.ArgumentList.Add(word);
        }

        using var enroll = Process.Start(start)!;
        var output = await enroll.StandardOutput.ReadToEndAsync() + await enroll.StandardError.ReadToEndAsync();
        await enroll.WaitForExitAsync();
        if (enroll.ExitCode != 0)
        {
            throw new InvalidOperationException($"enroll of {name} failed ({enroll.ExitCode}): {output}");
        }

        _agents.Add(await AgentProcess.StartWithConfigAsync(_unused, config, address, port));
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterTests : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
