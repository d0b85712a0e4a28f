using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Hangfire;
using Hangfire.Storage.SQLite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Runs;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Bench;

/// <summary>
/// The portal at fleet scale: window runs over simulated fleets (many host records served by a few real agent
/// processes), and the host list's time to interactive with the whole fleet in the database.
/// </summary>
public sealed partial class PortalBench(BenchSettings settings, Report report, string workDirectory)
{
    private const string AdminEmail = "admin@bench.test";
    private const string AdminPassword = "Bench-Admin-Passw0rd";
    private const int AgentPort = 12443;

    public async Task RunAsync()
    {
        var pkiDirectory = Path.Combine(workDirectory, "fleet-pki");
        Directory.CreateDirectory(pkiDirectory);
        using var pki = new BenchPki(pkiDirectory);
        var fleetSize = Math.Max(settings.FleetRuns.Max(r => r.Hosts), settings.HostListHosts);
        var processes = (int)Math.Ceiling(settings.FleetRuns.Max(r => r.Hosts) / (double)settings.HostsPerAgentProcess);
        processes = Math.Max(processes, settings.FleetRuns.Max(r => r.Concurrency));

        report.Heading("## Portal");
        report.Line(FormattableString.Invariant($"The built portal (`patch-portal.dll`, {Products.Configuration}) on SQLite, its CA imported from the bench's PKI. **Simulated fleet, named honestly:** {fleetSize} host records (each its own loopback address in 127.1.0.0/16, port {AgentPort}) served by **{processes} real agent processes** in the `simulated` backend; host *i* is one of the addresses of process *i mod {processes}*, and hosts sharing a process share its certificate (so the portal keeps {processes} connection pools, not one per host). An agent runs one package job at a time, so there are at least as many processes as the highest concurrency limit. Each simulated job takes {settings.JobDurationMs} ms (real apt upgrades take tens of seconds to minutes: a shorter job makes the portal's own per-host cost visible rather than hiding it)."));

        var agents = new List<AgentUnderTest>();
        var dataDir = Path.Combine(workDirectory, "portal-data");
        Directory.CreateDirectory(dataDir);
        ChildProcess? portal = null;
        try
        {
            var fingerprints = await StartFleetAsync(pki, fleetSize, processes, settings.JobDurationMs, agents);

            var agentRss = agents.Sum(a => a.Process.RssMiB());
            portal = await StartPortalAsync(pki, dataDir, settings.FleetRuns[0].Concurrency);
            var seeding = Stopwatch.StartNew();
            await SeedHostsAsync(dataDir, fleetSize, fingerprints);
            report.Line(FormattableString.Invariant($"Seeding {fleetSize} host records took {seeding.Elapsed.TotalSeconds:0.0} s; the {processes} agent processes hold {agentRss:0} MiB together."));

            var rows = new List<IReadOnlyList<string>>();
            var perHostCpu = new List<(int Hosts, double CpuMs)>();
            foreach (var (hosts, concurrency) in settings.FleetRuns)
            {
                await portal.DisposeAsync();
                portal = await StartPortalAsync(pki, dataDir, concurrency);
                var result = await FleetRunAsync(portal, dataDir, hosts, concurrency);
                var ideal = Math.Ceiling(hosts / (double)concurrency) * settings.JobDurationMs / 1000.0;
                var key = FormattableString.Invariant($"fleet.{hosts}.c{concurrency}");
                perHostCpu.Add((hosts, result.CpuSeconds * 1000 / hosts));
                rows.Add([
                    hosts.ToString(CultureInfo.InvariantCulture), concurrency.ToString(CultureInfo.InvariantCulture), result.State,
                    report.Figure(key + ".seconds", result.WallSeconds), Report.F(ideal),
                    report.Figure(key + ".hosts_per_minute", hosts / (result.WallSeconds / 60), "0"),
                    Report.F(concurrency * 60_000.0 / settings.JobDurationMs, "0"),
                    report.Figure(key + ".overhead_ms", Math.Max(0.001, result.MeanHostMs - settings.JobDurationMs), "0"),
                    Report.F(result.P99HostMs - settings.JobDurationMs, "0"),
                    report.Figure(key + ".cpu_ms_per_host", result.CpuSeconds * 1000 / hosts, "0"),
                    report.Figure(key + ".rss_peak", result.PeakRssMiB, "0"),
                ]);
            }

            report.Heading("### Fleet fan-out (one window run per row, one batch, no canary)");
            report.Line("Wall time is the run's StartedAt to FinishedAt in the portal's database; the ideal is ⌈hosts / limit⌉ × job duration. Per-host overhead is a host's recorded start-to-finish less the job's duration (dispatch, the agent call, following its job over the WebSocket, the database writes and live events); an agent job that waited behind another on the same agent process also shows there. CPU is the portal process's user+system time during the run (Hangfire, health polling and inventory refresh of finished hosts included), RSS its peak.");
            report.Table(["hosts", "concurrency limit", "end state", "wall s", "ideal s", "hosts/min", "ideal hosts/min", "overhead per host mean ms", "p99 ms", "portal CPU ms per host", "portal RSS peak MiB"], rows);
            if (perHostCpu.Count >= 2)
            {
                var small = perHostCpu.MinBy(c => c.Hosts);
                var large = perHostCpu.MaxBy(c => c.Hosts);
                report.Line(FormattableString.Invariant($"Growth: portal CPU per host {small.CpuMs:0} ms at {small.Hosts} hosts, {large.CpuMs:0} ms at {large.Hosts} hosts (constant per host = linear growth in total)."));
            }

            await LiveStatusAsync(portal, dataDir, agents);
            await HostListAsync(portal);
        }
        finally
        {
            if (portal is not null)
            {
                await portal.DisposeAsync();
            }

            foreach (var agent in agents)
            {
                await agent.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="processes"/> simulated agents standing in for <paramref name="fleetSize"/> hosts (host
    /// <c>i</c> on process <c>i mod processes</c>), adding each to <paramref name="agents"/> as it starts so the caller
    /// stops them all; returns each process's certificate fingerprint.
    /// </summary>
    private static async Task<string[]> StartFleetAsync(BenchPki pki, int fleetSize, int processes, int jobDurationMs, List<AgentUnderTest> agents)
    {
        var client = new LoadClient(pki.Client, pki.Server);
        var fingerprints = new string[processes];
        for (var p = 0; p < processes; p++)
        {
            var (certificate, key, fingerprint) = pki.IssueServer($"fleet-agent-{p}");
            fingerprints[p] = fingerprint;
            var urls = Enumerable.Range(0, fleetSize).Where(i => i % processes == p).Select(i => $"https://{HostAddress(i)}:{AgentPort}").ToList();
            agents.Add(await AgentUnderTest.StartAsync(pki, client, IPAddress.Parse(HostAddress(p)), "simulated", new JsonObject
            {
                ["Tls"] = new JsonObject { ["Certificate"] = certificate, ["Key"] = key, ["ClientCa"] = pki.CaPath },
                ["AllowedClients"] = new JsonArray("patchportal-portal"),
                ["Limits"] = new JsonObject { ["RequestsPerMinute"] = 0, ["MaxConnections"] = 5000 },
                ["Simulated"] = new JsonObject { ["JobDurationMs"] = jobDurationMs, ["PackageCount"] = 300, ["PendingUpdates"] = 5 },
            }, urls, waitForHealth: false));
        }

        return fingerprints;
    }

    private static string HostAddress(int i) => FormattableString.Invariant($"127.1.{(i / 250) + 1}.{(i % 250) + 1}");

    private static string HostName(int i) => FormattableString.Invariant($"sim-{i:00000}");

    private async Task<ChildProcess> StartPortalAsync(BenchPki pki, string dataDir, int concurrency)
    {
        var port = Nginx.FreePort(IPAddress.Parse("127.0.0.73"));
        var baseAddress = new Uri($"http://127.0.0.73:{port}");
        var portal = ChildProcess.Start("dotnet",
        [
            Products.Path("Portal", "patch-portal.dll"), "--urls", baseAddress.ToString().TrimEnd('/'), $"--Portal:DataDir={dataDir}",
            $"--Portal:Pki:CaCertificate={pki.CaPath}", $"--Portal:Pki:CaKey={pki.CaKeyPath}",
            $"--Portal:Admin:Email={AdminEmail}", $"--Portal:Admin:Password={AdminPassword}",
            $"--Portal:Runs:MaxConcurrentHosts={concurrency}", "--Portal:Runs:PollSeconds=5", "--Logging:LogLevel:Default=Warning",
        ], new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["DOTNET_ENVIRONMENT"] = "Production" },
        Path.GetDirectoryName(Products.Path("Portal", "patch-portal.dll")));
        BaseAddress = baseAddress;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (portal.HasExited || deadline.Elapsed > TimeSpan.FromMinutes(3))
            {
                var output = portal.Output;
                await portal.DisposeAsync();
                throw new InvalidOperationException("the portal did not start: " + output);
            }

            try
            {
                using var response = await http.GetAsync(new Uri(baseAddress, "/readyz"));
                if (response.IsSuccessStatusCode)
                {
                    return portal;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }
    }

    private Uri BaseAddress { get; set; } = default!;

    private static ServiceProvider Database(string dataDir) =>
        new ServiceCollection().AddPortalDatabase(PortalDatabase.Sqlite, $"Data Source={Path.Combine(dataDir, "portal.db")}").BuildServiceProvider();

    private static async Task SeedHostsAsync(string dataDir, int count, string[] fingerprints)
    {
        await using var services = Database(dataDir);
        await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            db.Hosts.Add(new ManagedHost
            {
                Name = HostName(i),
                Address = HostAddress(i),
                AgentPort = AgentPort,
                AgentCertificateFingerprint = fingerprints[i % fingerprints.Length],
                CreatedAt = now,
                LastSeenAt = now,
                Health = HostHealth.Healthy,
                OsName = "Debian GNU/Linux",
                OsVersion = "12",
                PackageFamily = "apt",
                PendingOtherCount = 5,
            });
        }

        await db.SaveChangesAsync();
    }

    private sealed record FleetResult(string State, double WallSeconds, double MeanHostMs, double P99HostMs, double CpuSeconds, double PeakRssMiB);

    private async Task<FleetResult> FleetRunAsync(ChildProcess portal, string dataDir, int hosts, int concurrency)
    {
        var (runId, _) = await ArrangeRunAsync(dataDir, hosts, concurrency, TimeSpan.FromSeconds(2));
        return await WaitForRunAsync(portal, dataDir, runId, hosts, concurrency);
    }

    /// <summary>Moves a run's scheduled Hangfire job to the queue, as if its start had come; returns when that was.</summary>
    private static async Task<DateTimeOffset> StartNowAsync(string dataDir, Guid runId)
    {
        string jobId;
        await using (var services = Database(dataDir))
        await using (var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            jobId = await db.PatchRuns.Where(r => r.Id == runId).Select(r => r.HangfireJobId).SingleAsync()
                ?? throw new InvalidOperationException($"run {runId} has no Hangfire job");
        }

        var now = DateTimeOffset.UtcNow;
        using var storage = new SQLiteStorage(Path.Combine(dataDir, "hangfire.db"), new SQLiteStorageOptions());
        if (!new BackgroundJobClient(storage).Requeue(jobId))
        {
            throw new InvalidOperationException($"run {runId}'s Hangfire job {jobId} could not be queued");
        }

        return now;
    }

    /// <summary>A one-off UTC window starting after <paramref name="lead"/> and an approved plan for the first hosts, scheduled as on approval.</summary>
    private static async Task<(Guid RunId, DateTimeOffset Start)> ArrangeRunAsync(string dataDir, int hosts, int concurrency, TimeSpan lead)
    {
        await using var services = Database(dataDir);
        var factory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            var names = Enumerable.Range(0, hosts).Select(HostName).ToList();
            var targets = await db.Hosts.Where(h => names.Contains(h.Name)).ToListAsync();
            var start = DateTimeOffset.UtcNow.Add(lead);
            var zone = TimeZoneInfo.Utc;
            var window = new MaintenanceWindow
            {
                Name = FormattableString.Invariant($"bench {hosts}x{concurrency} {Guid.NewGuid():N}"),
                TimeZoneId = "UTC",
                StartLocal = DateTime.SpecifyKind(TimeZoneInfo.ConvertTime(start, zone).DateTime, DateTimeKind.Unspecified),
                DurationMinutes = 240,
                CutoffMinutes = 5,
                CreatedAt = DateTimeOffset.UtcNow,
                CreatedBy = AdminEmail,
                UpdatedAt = DateTimeOffset.UtcNow,
            };
            db.MaintenanceWindows.Add(window);
            var plan = new PatchPlan
            {
                Name = window.Name,
                RequestedBy = "operator@bench.test",
                Timing = PlanTiming.NextOccurrence,
                Window = window,
                Scope = PlanPackageScope.AllUpdates,
                RebootPolicy = RebootPolicy.Never,
                BatchSize = hosts,
                MaxFailures = hosts,
                HostTimeoutMinutes = 30,
                CreatedAt = DateTimeOffset.UtcNow,
                UpdatedAt = DateTimeOffset.UtcNow,
                SubmittedAt = DateTimeOffset.UtcNow,
            };
            foreach (var host in targets)
            {
                plan.TargetHosts.Add(host);
                plan.Manifest.Add(new PlanManifestHost { HostId = host.Id, HostName = host.Name, PlanRevision = plan.Revision, CheckedAt = DateTimeOffset.UtcNow });
            }

            plan.TransitionTo(PlanState.PendingApproval);
            plan.TransitionTo(PlanState.Approved);
            db.PatchPlans.Add(plan);
            await db.SaveChangesAsync();

            GlobalConfiguration.Configuration.SetDataCompatibilityLevel(CompatibilityLevel.Version_180).UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            using var storage = new SQLiteStorage(Path.Combine(dataDir, "hangfire.db"), new SQLiteStorageOptions());
            var scheduler = new RunScheduler(factory, new MaintenanceSchedule(NullLogger<MaintenanceSchedule>.Instance), new BackgroundJobClient(storage),
                new AuditLog(factory, TimeProvider.System), new RunEventHub(), Options.Create(new RunsOptions()), TimeProvider.System, NullLogger<RunScheduler>.Instance);
            await scheduler.ScheduleAsync(plan.Id, "approver@bench.test", CancellationToken.None);
            return (await db.PatchRuns.Where(r => r.PlanId == plan.Id).Select(r => r.Id).SingleAsync(), start);
        }
    }

    private async Task<FleetResult> WaitForRunAsync(ChildProcess portal, string dataDir, Guid runId, int hosts, int concurrency)
    {
        await using var services = Database(dataDir);
        var factory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();

        // Wait for the run to start (Hangfire picks scheduled jobs up on its polling interval), then measure it.
        var cpuBefore = portal.CpuSeconds();
        double peakRss = 0;
        var timeout = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(120 + hosts / (double)concurrency * settings.JobDurationMs / 1000.0 * 4);
        PatchRun run;
        while (true)
        {
            peakRss = Math.Max(peakRss, portal.RssMiB());
            await using var db = await factory.CreateDbContextAsync();
            run = await db.PatchRuns.AsNoTracking().SingleAsync(r => r.Id == runId);
            if (run.State is RunState.Succeeded or RunState.PartiallyFailed or RunState.Failed or RunState.Cancelled)
            {
                break;
            }

            if (timeout.Elapsed > limit || portal.HasExited)
            {
                throw new TimeoutException($"the {hosts}-host run did not finish within {limit} (state {run.State}); the portal's last words: {string.Join(" | ", portal.Output.Split(Environment.NewLine).TakeLast(6))}");
            }

            await Task.Delay(500);
        }

        var cpu = portal.CpuSeconds() - cpuBefore;
        await using var read = await factory.CreateDbContextAsync();
        var durations = (await read.HostRuns.AsNoTracking().Where(h => h.RunId == runId).Select(h => new { h.StartedAt, h.FinishedAt, h.State }).ToListAsync())
            .Where(h => h.StartedAt is not null && h.FinishedAt is not null)
            .Select(h => (h.FinishedAt!.Value - h.StartedAt!.Value).TotalMilliseconds).Order().ToArray();
        var succeeded = await read.HostRuns.CountAsync(h => h.RunId == runId && h.State == HostRunState.Succeeded);
        if (succeeded != hosts)
        {
            report.Problem(FormattableString.Invariant($"fleet run {hosts}x{concurrency}: {succeeded} of {hosts} hosts succeeded (run {run.State}: {run.StateReason})"));
        }

        var wall = ((run.FinishedAt ?? DateTimeOffset.UtcNow) - (run.StartedAt ?? DateTimeOffset.UtcNow)).TotalSeconds;
        return new FleetResult(FormattableString.Invariant($"{run.State} ({succeeded}/{hosts})"), wall,
            durations.Length > 0 ? durations.Average() : double.NaN,
            durations.Length > 0 ? durations[Math.Min(durations.Length - 1, (int)Math.Ceiling(0.99 * durations.Length) - 1)] : double.NaN,
            cpu, peakRss);
    }

    /// <summary>
    /// Live status latency: a run over <see cref="BenchSettings.LiveRunHosts"/> hosts streams to several browsers on its
    /// run page; each browser records (MutationObserver, <c>Date.now()</c>) when a host's row first shows Succeeded; the
    /// agent's own job record holds when the job completed (<c>completed_at</c>, same machine clock). The difference is
    /// agent event → portal (WebSocket) → database → event hub → Blazor circuit → browser DOM.
    /// </summary>
    private async Task LiveStatusAsync(ChildProcess portal, string dataDir, IReadOnlyList<AgentUnderTest> agents)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var pages = new List<IPage>();
        var contexts = new List<IBrowserContext>();
        for (var i = 0; i < settings.LiveBrowsers; i++)
        {
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
            contexts.Add(context);
            var page = await context.NewPageAsync();
            await SignInAsync(page);
            pages.Add(page);
        }

        // Scheduled far enough ahead that it cannot start before every browser watches it; queued at once after that.
        var (runId, _) = await ArrangeRunAsync(dataDir, settings.LiveRunHosts, settings.FleetRuns.Max(r => r.Concurrency), TimeSpan.FromMinutes(30));
        const string Observer = """
            () => {
              window.__seen = {};
              const scan = () => {
                for (const row of document.querySelectorAll('tr.host-row')) {
                  const name = row.querySelector('[data-testid="host-name"]')?.textContent?.trim();
                  if (name && !(name in window.__seen) && row.textContent.includes('Succeeded')) { window.__seen[name] = Date.now(); }
                }
              };
              scan();
              new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, characterData: true });
            }
            """;
        foreach (var page in pages)
        {
            await page.GotoAsync($"/runs/{runId}");
            // The run has no host rows until it starts; the live page is ready once it shows the viewer's time zone.
            await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=run-state]')?.textContent.includes('Scheduled') && document.body.textContent.includes('Times in ')", null, new() { Timeout = 120_000 });
            await page.EvaluateAsync(Observer);
        }

        var cpuBefore = portal.CpuSeconds();
        var started = await StartNowAsync(dataDir, runId);
        await WaitForRunAsync(portal, dataDir, runId, settings.LiveRunHosts, settings.FleetRuns.Max(r => r.Concurrency));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var cpu = portal.CpuSeconds() - cpuBefore;

        // The agent's completion time of every job, from the job records it keeps on disk.
        var completed = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var agent in agents)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(agent.DataDirectory, "jobs"), "*.json"))
            {
                using var job = System.Text.Json.JsonDocument.Parse(await File.ReadAllBytesAsync(file));
                if ((job.RootElement.TryGetProperty("completed_at", out var at) || job.RootElement.TryGetProperty("completedAt", out at)) && at.ValueKind == System.Text.Json.JsonValueKind.String
                    && job.RootElement.TryGetProperty("id", out var id))
                {
                    completed[id.GetString()!] = at.GetDateTimeOffset();
                }
            }
        }

        Dictionary<string, string> jobsByHost;
        await using (var services = Database(dataDir))
        await using (var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            jobsByHost = await db.HostRuns.AsNoTracking().Where(h => h.RunId == runId && h.AgentJobId != null).ToDictionaryAsync(h => h.HostName, h => h.AgentJobId!);
        }

        var latencies = new List<double>();
        foreach (var page in pages)
        {
            var seen = await page.EvaluateAsync<Dictionary<string, double>>("() => window.__seen");
            foreach (var (host, at) in seen)
            {
                if (jobsByHost.TryGetValue(host, out var job) && completed.TryGetValue(job, out var done) && done > started)
                {
                    latencies.Add(at - done.ToUnixTimeMilliseconds());
                }
            }
        }

        foreach (var context in contexts)
        {
            await context.DisposeAsync();
        }

        var sorted = latencies.Order().ToArray();
        report.Heading("### Live status latency (agent job event → browser DOM)");
        report.Line(FormattableString.Invariant($"A {settings.LiveRunHosts}-host run (limit {settings.FleetRuns.Max(r => r.Concurrency)}, {settings.JobDurationMs} ms jobs) streamed to {settings.LiveBrowsers} browsers (headless Chromium, one signed-in context each) on its run page. Event time: `completed_at` in the agent's job record; DOM time: `Date.now()` in a MutationObserver when the host's row first shows Succeeded. Only rows a page renders are observed. The run is scheduled half an hour ahead and its Hangfire job queued once every browser shows the run page, so no browser misses the start. Portal CPU during the run: {cpu:0.0} s."));
        report.Table(["figure", "value"],
        [
            ["samples (host rows × browsers)", report.Figure("live.samples", sorted.Length, "0")],
            ["median ms", report.Figure("live.p50.ms", sorted.Length > 0 ? sorted[sorted.Length / 2] : double.NaN, "0")],
            ["p99 ms", report.Figure("live.p99.ms", sorted.Length > 0 ? sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(0.99 * sorted.Length) - 1)] : double.NaN, "0")],
            ["max ms", Report.F(sorted.Length > 0 ? sorted[^1] : double.NaN, "0")],
        ]);
    }

    private static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });

    /// <summary>Signs in as the admin; a second try if the first did not leave the sign-in page, then what the page said.</summary>
    private static async Task SignInAsync(IPage page)
    {
        for (var attempt = 1; ; attempt++)
        {
            await page.GotoAsync("/account/login");
            await page.GetByLabel("Email", new() { Exact = true }).FillAsync(AdminEmail);
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync(AdminPassword);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            try
            {
                await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal),
                    new() { Timeout = 60_000, WaitUntil = WaitUntilState.Commit });
                return;
            }
            catch (TimeoutException ex)
            {
                if (attempt == 2)
                {
                    var said = string.Join(" ", await page.GetByRole(AriaRole.Alert).AllInnerTextsAsync());
                    throw new TimeoutException($"signing in did not leave {page.Url} within 60 s twice; the page says: '{said}'", ex);
                }
            }
        }
    }

    /// <summary>Time to interactive of /hosts with the whole fleet: from navigation to the first page of rows shown by the live circuit.</summary>
    private async Task HostListAsync(ChildProcess portal)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        await SignInAsync(page);

        var times = new List<double>();
        var rendered = 0;
        var repeats = settings.Smoke ? 1 : 5;
        for (var i = 0; i < repeats + 1; i++)
        {
            var clock = Stopwatch.StartNew();
            await page.GotoAsync("/hosts", new() { WaitUntil = WaitUntilState.Commit });
            // Interactive: the Blazor circuit is up and the grid's first page of rows is in the DOM.
            await page.WaitForFunctionAsync("() => window.Blazor !== undefined && document.querySelectorAll('tbody tr a[href^=\"/hosts/\"]').length > 0", null, new() { Timeout = 120_000, PollingInterval = 10 });
            if (i > 0)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }

            rendered = await page.Locator("tbody tr").CountAsync();
        }

        report.Heading("### Host list with the whole fleet");
        report.Table(["figure", "value"],
        [
            ["hosts in the database", settings.HostListHosts.ToString(CultureInfo.InvariantCulture)],
            [FormattableString.Invariant($"/hosts time to interactive (navigation to the first page of rows rendered by the live circuit), median of {times.Count} warm loads"), report.Figure("hostlist.tti.ms", AgentBench.Median(times), "0") + " ms"],
            ["rows in the DOM (paged by the server, never the whole fleet)", report.Figure("hostlist.rows", rendered, "0")],
        ]);
        if (rendered >= settings.HostListHosts)
        {
            report.Problem($"the host list rendered {rendered} rows for {settings.HostListHosts} hosts: it is not paged");
        }
    }
}
