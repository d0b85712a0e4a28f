using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PatchPortal.Bench;

/// <summary>
/// The agent against nginx: throughput and latency per endpoint and connection count, new connections with and without
/// TLS session resumption, start-up, memory, and the package listing on this Debian system.
/// </summary>
public sealed class AgentBench(BenchSettings settings, Report report, string workDirectory)
{
    private static readonly IPAddress AptAgentAddress = IPAddress.Parse("127.0.0.70");
    private static readonly IPAddress NginxAddress = IPAddress.Parse("127.0.0.71");
    private static readonly IPAddress JobsAgentAddress = IPAddress.Parse("127.0.0.72");
    private static readonly IPAddress AotAgentAddress = IPAddress.Parse("127.0.0.90");

    public async Task RunAsync()
    {
        var pkiDirectory = Path.Combine(workDirectory, "pki");
        Directory.CreateDirectory(pkiDirectory);
        using var pki = new BenchPki(pkiDirectory);
        var client = new LoadClient(pki.Client, pki.Server);

        report.Heading("## Agent");
        var installed = InstalledPackageCount();
        report.Line(FormattableString.Invariant($"Agent: the built `patch-agent.dll` ({Products.Configuration}, framework-dependent, `dotnet patch-agent.dll`), HTTPS with a required client certificate, the bench's P-256 server certificate; `Agent:Limits:RequestsPerMinute=0` (the per-client rate limit would measure the limiter: the bench is one client). `/health` and `/api/v1/packages` are served by the agent with the real **apt** backend on this Debian system ({installed} packages installed per `dpkg-query`); `/api/v1/jobs` and `/api/v1/jobs/{{id}}` by a second agent in the **simulated** backend holding {settings.Jobs} finished jobs (the apt agent would have to change this machine to have jobs)."));
        report.Line(FormattableString.Invariant($"Baseline: Debian's nginx ({Nginx.Version() ?? "missing"}), `worker_processes auto`, mTLS with the same CA, server certificate and key, serving each body the agent answered as a static file of the same size (`sendfile`, `keepalive_requests` unlimited, access log off)."));
        report.Line("Load generator: `patchportal-bench load` (bench/LoadClient.cs), a closed-loop HTTP/1.1 client over TLS 1.3: Debian's `wrk` and `h2load` have no option to present a client certificate and both servers require one. Each connection sends a request, reads the whole answer and sends the next; it runs as its own process on the same two cores as the server, identically for both servers, so the ratio is the figure to read.");

        // Start-up and the uncached package listing: each start's first listing builds the snapshot from dpkg and apt.
        var startups = new List<double>();
        var uncachedPackages = new List<double>();
        var uncachedPatches = new List<double>();
        for (var i = 0; i < settings.StartupRepeats; i++)
        {
            await using var fresh = await AgentUnderTest.StartAsync(pki, client, AptAgentAddress, "apt");
            startups.Add(fresh.Startup.TotalMilliseconds);
            var first = i % 2 == 0 ? "/api/v1/packages?limit=1000" : "/api/v1/patches?limit=1000";
            var elapsed = await TimeOnceAsync(client, fresh.Endpoint, first);
            (i % 2 == 0 ? uncachedPackages : uncachedPatches).Add(elapsed);
        }

        // The published forms bench/run.sh makes (self-contained single file, the same with ReadyToRun code, and Native AOT as the packages ship it).
        var published = new List<(string Form, string Directory, double StartupMs, double IdleRss, double TrimmedRss, double TrimmedAnon)>();
        foreach (var (form, directory) in PublishedForms)
        {
            var program = System.IO.Path.Combine(Products.Root, "bench", "bin", directory, "patch-agent");
            if (!File.Exists(program))
            {
                continue;
            }

            var times = new List<double>();
            var (rss, trimmed, anon) = (0.0, 0.0, 0.0);
            for (var i = 0; i < settings.StartupRepeats; i++)
            {
                await using var fresh = await AgentUnderTest.StartAsync(pki, client, AptAgentAddress, "apt", program: program);
                times.Add(fresh.Startup.TotalMilliseconds);
                if (i == settings.StartupRepeats - 1)
                {
                    await TimeOnceAsync(client, fresh.Endpoint, "/api/v1/packages?limit=1000");
                    await Task.Delay(settings.IdleSettle);
                    rss = fresh.Process.RssMiB();
                    await Task.Delay(settings.IdleTrimSettle - settings.IdleSettle);
                    (trimmed, anon) = (fresh.Process.RssMiB(), fresh.Process.RssAnonMiB());
                }
            }

            published.Add((form, directory, Median(times), rss, trimmed, anon));
        }

        var aotProgram = System.IO.Path.Combine(Products.Root, "bench", "bin", "agent-aot", "patch-agent");

        await using var agent = await AgentUnderTest.StartAsync(pki, client, AptAgentAddress, "apt");
        await Task.Delay(settings.IdleSettle);
        var idleRss = agent.Process.RssMiB();
        await PackageListingAsync(client, agent, installed, uncachedPackages, uncachedPatches);

        await using var jobsAgent = await AgentUnderTest.StartAsync(pki, client, JobsAgentAddress, "simulated",
            new JsonObject { ["Simulated"] = new JsonObject { ["JobDurationMs"] = 0, ["PackageCount"] = 600, ["PendingUpdates"] = 24 } });
        var jobId = await CreateJobsAsync(client, jobsAgent.Endpoint, settings.Jobs);

        var endpoints = new (string Name, string Path, AgentUnderTest Agent)[]
        {
            ("GET /health", "/health", agent),
            ("GET /api/v1/packages", "/api/v1/packages", agent),
            ("GET /api/v1/jobs", "/api/v1/jobs", jobsAgent),
            ("GET /api/v1/jobs/{id}", "/api/v1/jobs/" + jobId, jobsAgent),
        };
        var bodies = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (_, path, owner) in endpoints)
        {
            var (status, body) = await client.GetOnceAsync(owner.Endpoint, path, CancellationToken.None);
            if (status != 200)
            {
                throw new InvalidOperationException($"the agent answered {status} to GET {path}: {Encoding.UTF8.GetString(body)}");
            }

            bodies[path] = body;
        }

        await using var nginx = await Nginx.StartAsync(pki, NginxAddress, bodies, workDirectory);
        var rows = new List<IReadOnlyList<string>>();
        double peakRss = 0;
        double? aotPeakRss = null;
        foreach (var (name, path, owner) in endpoints)
        {
            foreach (var connections in settings.Connections)
            {
                var spec = new LoadSpec(owner.Endpoint, path, connections, settings.Duration, ConnectionMode.KeepAlive, settings.Warmup);
                using var sampler = new RssSampler(owner.Process);
                var agentResult = await LoadRunner.RunAsync(pkiDirectory, spec);
                if (owner == agent)
                {
                    peakRss = Math.Max(peakRss, sampler.Peak);
                }

                var nginxResult = await LoadRunner.RunAsync(pkiDirectory, spec with { Target = nginx.Endpoint });
                rows.Add(Row(name, connections.ToString(CultureInfo.InvariantCulture), bodies[path].Length, agentResult, nginxResult,
                    $"{Key(path)}.c{connections}"));
            }
        }

        // The Native AOT form (what the packages ship) on the targets' loads: /health and the package list at 100
        // connections (or the largest count below), and /health at the most connections; its peak RSS over all three.
        if (File.Exists(aotProgram))
        {
            await using var aot = await AgentUnderTest.StartAsync(pki, client, AotAgentAddress, "apt", program: aotProgram);
            await TimeOnceAsync(client, aot.Endpoint, "/api/v1/packages?limit=1000");
            var hundred = settings.Connections.Where(c => c <= 100).DefaultIfEmpty(settings.Connections.Min()).Max();
            using var sampler = new RssSampler(aot.Process);
            foreach (var (path, connections) in new[] { ("/health", hundred), ("/api/v1/packages", hundred), ("/health", settings.Connections.Max()) }.Distinct())
            {
                var spec = new LoadSpec(aot.Endpoint, path, connections, settings.Duration, ConnectionMode.KeepAlive, settings.Warmup);
                var aotResult = await LoadRunner.RunAsync(pkiDirectory, spec);
                var nginxResult = await LoadRunner.RunAsync(pkiDirectory, spec with { Target = nginx.Endpoint });
                rows.Add(Row($"GET {path} (Native AOT agent)", connections.ToString(CultureInfo.InvariantCulture), bodies[path].Length, aotResult, nginxResult,
                    $"{Key(path)}.aot.c{connections}"));
            }

            aotPeakRss = sampler.Peak;
        }

        // New connections: a full TCP and TLS handshake for every request, with the client's session cache on and off.
        foreach (var resumption in new[] { false, true })
        {
            nginx.ClearAccessLog();
            var spec = new LoadSpec(agent.Endpoint, "/health", settings.NewConnectionClients, settings.Duration, ConnectionMode.NewConnection, settings.Warmup);
            var agentResult = await LoadRunner.RunAsync(pkiDirectory, spec, disableResumption: !resumption);
            var nginxResult = await LoadRunner.RunAsync(pkiDirectory, spec with { Target = nginx.LoggedEndpoint }, disableResumption: !resumption);
            var (resumed, full) = nginx.Resumption();
            var label = resumption ? "new connection, resumption on" : "new connection, resumption off";
            rows.Add(Row($"GET /health ({label}; nginx saw {resumed} resumed / {full} full handshakes)",
                settings.NewConnectionClients.ToString(CultureInfo.InvariantCulture), bodies["/health"].Length, agentResult, nginxResult,
                resumption ? "health.new.resumed" : "health.new.full"));
        }

        report.Heading("### Throughput and latency over mTLS (agent | nginx)");
        report.Table(
            ["request", "connections", "body bytes", "agent req/s", "nginx req/s", "agent / nginx", "agent p50 / p99 / max ms", "nginx p50 / p99 / max ms", "errors (agent, nginx)"],
            rows);

        var nginxIdle = nginx.Process.TreeRssMiB();
        report.Heading("### Memory and start-up");
        report.Table(["figure", "agent", "target", "baseline"],
        [
            ["RSS idle (apt backend, after start and one listing, settled)", report.Figure("agent.rss.idle", idleRss) + " MiB", "< 40 MiB", $"nginx master + workers after the whole load: {Report.F(nginxIdle)} MiB"],
            ["RSS peak under load (sampled every 100 ms during the apt agent's runs, up to 500 connections)", report.Figure("agent.rss.peak", peakRss) + " MiB", "< 80 MiB", $"VmHWM of the agent: {Report.F(agent.Process.PeakRssMiB())} MiB"],
            [FormattableString.Invariant($"start-up to first served GET /health (median of {startups.Count} starts; min {Report.F(startups.Min(), "0")}, max {Report.F(startups.Max(), "0")})"),
                report.Figure("agent.startup.ms", Median(startups), "0") + " ms", "< 300 ms", "includes the `dotnet` host start and JIT"],
            .. published.Select(p => new List<string>
            {
                FormattableString.Invariant($"{p.Form}: start-up to first served GET /health (median of {settings.StartupRepeats}); RSS idle {settings.IdleSettle.TotalSeconds:0.#} s after one listing, then {settings.IdleTrimSettle.TotalSeconds:0.#} s after it (the agent's idle trim has given the listing's memory back), with the private (anonymous) part; the rest is the mapped executable and libraries"),
                p.Directory == "agent-aot"
                    ? $"{report.Figure("agent.aot.startup.ms", p.StartupMs, "0")} ms; {report.Figure("agent.aot.rss.idle", p.IdleRss)} MiB, then {report.Figure("agent.aot.rss.trimmed", p.TrimmedRss)} MiB ({Report.F(p.TrimmedAnon)} MiB private)"
                    : $"{Report.F(p.StartupMs, "0")} ms; {Report.F(p.IdleRss)} MiB, then {Report.F(p.TrimmedRss)} MiB ({Report.F(p.TrimmedAnon)} MiB private)",
                "< 300 ms, < 40 MiB",
                p.Directory == "agent-aot" ? "native code: no JIT, no `dotnet` host" : "self-contained: no `dotnet` host, no shared framework",
            }),
            .. (aotPeakRss is { } aotPeak
                ? new[] { new List<string> { "Native AOT: RSS peak under its loads above (/health at 100 and 500 connections, the package list at 100)", report.Figure("agent.aot.rss.peak", aotPeak) + " MiB", "< 80 MiB", "" } }
                : []),
        ]);
        if (published.Count == 0)
        {
            report.Line("The published forms (as packaged, with ReadyToRun, Native AOT) were not measured: `bench/run.sh` publishes them before a full run.");
        }
    }

    /// <summary>The agent as bench/run.sh publishes it: the packages' form, the same compiled ahead with ReadyToRun, and Native AOT.</summary>
    private static readonly (string Form, string Directory)[] PublishedForms =
    [
        ("self-contained single file", "agent-packaged"),
        ("self-contained single file + ReadyToRun", "agent-r2r"),
        ("Native AOT (`-p:PublishAot=true`, as the .deb and .rpm ship it)", "agent-aot"),
    ];

    private async Task PackageListingAsync(LoadClient client, AgentUnderTest agent, int installed, List<double> uncachedPackages, List<double> uncachedPatches)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, path, uncached) in new[]
        {
            ("GET /api/v1/packages?limit=1000", "/api/v1/packages?limit=1000", uncachedPackages),
            ("GET /api/v1/patches?limit=1000", "/api/v1/patches?limit=1000", uncachedPatches),
        })
        {
            var (status, body) = await client.GetOnceAsync(agent.Endpoint, path, CancellationToken.None);
            using var document = JsonDocument.Parse(body);
            var total = status == 200 ? document.RootElement.GetProperty("data").GetProperty("total").GetInt32() : -1;
            var before = await AllocatedBytesAsync(client, agent);
            var timings = new List<double>();
            for (var i = 0; i < settings.CachedRepeats; i++)
            {
                timings.Add(await TimeOnceAsync(client, agent.Endpoint, path));
            }

            var after = await AllocatedBytesAsync(client, agent);
            var baseline = await AllocatedBytesAsync(client, agent) - after;
            var perRequest = before is null || after is null ? double.NaN : ((after.Value - before.Value - baseline!.Value) / (double)settings.CachedRepeats) / 1024.0;
            var key = Key(path);
            rows.Add([
                name, total.ToString(CultureInfo.InvariantCulture), body.Length.ToString(CultureInfo.InvariantCulture),
                uncached.Count > 0 ? report.Figure($"{key}.uncached.ms", Median(uncached)) + $" (median of {uncached.Count})" : "not measured",
                report.Figure($"{key}.cached.ms", Median(timings)) + $" (median of {timings.Count})",
                double.IsNaN(perRequest) ? "not exposed" : report.Figure($"{key}.cached.alloc.kib", perRequest, "0"),
            ]);
        }

        report.Heading("### Package listing on this Debian system");
        report.Line(FormattableString.Invariant($"{installed} packages installed (`dpkg-query -W`). Uncached: the first listing after the agent started (it runs `dpkg-query` and an `apt-get -s dist-upgrade` simulation and caches the result until dpkg's status, apt's lists or sources change); cached: later requests. Times are one request each over a new mTLS connection (handshake included), measured by the bench; allocations are the agent's own (the runtime's `dotnet.gc.heap.total_allocated`, `system_runtime_dotnet_gc_heap_total_allocated` on its `/metrics`, before and after, less what the `/metrics` request itself allocates)."));
        report.Table(["request", "total in answer", "body bytes", "uncached ms", "cached ms", "allocated per cached request KiB"], rows);
    }

    private IReadOnlyList<string> Row(string name, string connections, int bodyBytes, LoadResult agent, LoadResult nginx, string key)
    {
        if (agent.Requests == 0 || agent.Errors > 0 || agent.Non200 > 0)
        {
            report.Problem($"{key}: agent {agent.Requests} requests, {agent.Errors} errors, {agent.Non200} not 200 ({agent.FirstError})");
        }

        if (nginx.Requests == 0 || nginx.Errors > 0 || nginx.Non200 > 0)
        {
            report.Problem($"{key}: nginx {nginx.Requests} requests, {nginx.Errors} errors, {nginx.Non200} not 200 ({nginx.FirstError})");
        }

        return
        [
            name, connections, bodyBytes.ToString(CultureInfo.InvariantCulture),
            report.Figure($"{key}.agent.rps", agent.Rps, "0"), report.Figure($"{key}.nginx.rps", nginx.Rps, "0"),
            "**" + report.Figure($"{key}.ratio", nginx.Rps > 0 ? agent.Rps / nginx.Rps : 0, "0.00") + "**",
            $"{Report.F(agent.P50Ms, "0.00")} / {Report.F(agent.P99Ms, "0.00")} / {Report.F(agent.MaxMs, "0.0")}",
            $"{Report.F(nginx.P50Ms, "0.00")} / {Report.F(nginx.P99Ms, "0.00")} / {Report.F(nginx.MaxMs, "0.0")}",
            FormattableString.Invariant($"{agent.Errors + agent.Non200}, {nginx.Errors + nginx.Non200}"),
        ];
    }

    private static string Key(string path) => path.Split('?')[0] switch
    {
        "/health" => "health",
        "/api/v1/packages" => "packages",
        "/api/v1/patches" => "patches",
        "/api/v1/jobs" => "jobs",
        _ => "job",
    };

    private static async Task<double> TimeOnceAsync(LoadClient client, IPEndPoint endpoint, string path)
    {
        var clock = Stopwatch.StartNew();
        var (status, body) = await client.GetOnceAsync(endpoint, path, CancellationToken.None);
        return status == 200 ? clock.Elapsed.TotalMilliseconds : throw new InvalidOperationException($"GET {path} answered {status}: {Encoding.UTF8.GetString(body)}");
    }

    /// <summary>The agent's total allocated bytes from its Prometheus metrics, if it exposes them.</summary>
    private static async Task<long?> AllocatedBytesAsync(LoadClient client, AgentUnderTest agent)
    {
        var (status, body) = await client.GetOnceAsync(agent.Endpoint, "/metrics", CancellationToken.None);
        if (status != 200)
        {
            return null;
        }

        foreach (var line in Encoding.UTF8.GetString(body).Split('\n'))
        {
            if (line.StartsWith("system_runtime_dotnet_gc_heap_total_allocated ", StringComparison.Ordinal) || line.StartsWith("dotnet_gc_heap_total_allocated", StringComparison.Ordinal))
            {
                return (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>Finished jobs for the jobs endpoints: removals in the simulated backend (zero duration). Returns one job's id.</summary>
    private static async Task<string> CreateJobsAsync(LoadClient client, IPEndPoint endpoint, int count)
    {
        var (_, list) = await client.GetOnceAsync(endpoint, $"/api/v1/packages?limit={count}", CancellationToken.None);
        using var document = JsonDocument.Parse(list);
        var names = document.RootElement.GetProperty("data").GetProperty("packages").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToList();
        string? first = null;
        foreach (var name in names)
        {
            var (status, body) = await client.SendOnceAsync(endpoint, "DELETE", "/api/v1/packages/" + name, null, CancellationToken.None);
            if (status != 202)
            {
                throw new InvalidOperationException($"the simulated agent answered {status} to a removal: {Encoding.UTF8.GetString(body)}");
            }

            using var accepted = JsonDocument.Parse(body);
            first ??= accepted.RootElement.GetProperty("data").GetProperty("job_id").GetString();
        }

        // Wait until every job is finished, so the bodies nginx copies do not change under the load.
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var (_, jobs) = await client.GetOnceAsync(endpoint, "/api/v1/jobs?limit=1000", CancellationToken.None);
            using var page = JsonDocument.Parse(jobs);
            if (page.RootElement.GetProperty("data").GetProperty("jobs").EnumerateArray().All(j => j.GetProperty("status").GetString() is not ("pending" or "running")))
            {
                return first!;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("the simulated agent's jobs did not finish");
    }

    private static int InstalledPackageCount()
    {
        using var process = Process.Start(new ProcessStartInfo("dpkg-query", ["-W", "-f", ".\n"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var count = process.StandardOutput.ReadToEnd().Count(c => c == '\n');
        process.WaitForExit();
        return count;
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Samples a process's RSS every 100 ms while it lives.</summary>
    private sealed class RssSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public RssSampler(ChildProcess process) => _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Peak = Math.Max(Peak, process.RssMiB());
                try
                {
                    await Task.Delay(100, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

        public double Peak { get; private set; }

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait();
            _stop.Dispose();
        }
    }
}
