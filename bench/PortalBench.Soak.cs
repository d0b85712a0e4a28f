using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Bench;

/// <summary>
/// The soak (issue 7): a run over <see cref="BenchSettings.SoakHosts"/> simulated hosts while signed-in users browse
/// the portal in real browsers, before, during and for <see cref="BenchSettings.SoakAfter"/> after the run, with the
/// portal's memory sampled throughout. It passes when no user request fails, every host of the run succeeds, and
/// memory is flat once the fleet's work is done: while the users go on browsing, the last third of that period holds no
/// more than its first third plus a margin (growth during the run is reported beside it). Bounded
/// (<see cref="BenchSettings.SoakLimit"/>) and loopback only.
/// </summary>
public sealed partial class PortalBench
{
    /// <summary>Memory may rise this much (fraction, then MiB) across the browsing after the run and still count as flat.</summary>
    private const double FlatFraction = 0.05;
    private const double FlatMarginMiB = 16;

    /// <summary>
    /// One sample: RSS, the managed heap (garbage not yet collected included), the live heap the latest full collection
    /// left (<c>patchportal_gc_live_heap_bytes</c>), the memory the GC had committed at its latest collection (free
    /// space it keeps for reuse included) and how many full (gen 2) collections ran so far.
    /// </summary>
    private sealed record MemorySample(double Seconds, double RssMiB, double ManagedMiB, double LiveMiB, double CommittedMiB, double FullCollections);

    /// <summary>A page a user visits: its path, the title it shows, and what must be on it before it counts as shown.</summary>
    private sealed record Visit(string Path, string Title, string Ready);

    private sealed class SoakTally
    {
        public int Navigations;
        public int Requests;
        public ConcurrentQueue<string> Failures { get; } = new();
        public ConcurrentBag<double> NavigationMs { get; } = [];

        public void Fail(string what)
        {
            if (Failures.Count < 1000)
            {
                Failures.Enqueue(what);
            }
        }
    }

    public async Task SoakAsync()
    {
        var pkiDirectory = Path.Combine(workDirectory, "soak-pki");
        Directory.CreateDirectory(pkiDirectory);
        using var pki = new BenchPki(pkiDirectory);
        var hosts = settings.SoakHosts;
        var processes = Math.Max((int)Math.Ceiling(hosts / (double)settings.HostsPerAgentProcess), settings.SoakConcurrency);
        var agents = new List<AgentUnderTest>();
        var dataDir = Path.Combine(workDirectory, "soak-data");
        Directory.CreateDirectory(dataDir);
        ChildProcess? portal = null;
        try
        {
            var fingerprints = await StartFleetAsync(pki, hosts, processes, settings.SoakJobDurationMs, agents);
            portal = await StartPortalAsync(pki, dataDir, settings.SoakConcurrency);
            await SeedHostsAsync(dataDir, hosts, fingerprints);
            var (runId, _) = await ArrangeRunAsync(dataDir, hosts, settings.SoakConcurrency, TimeSpan.FromMinutes(30));

            Visit[] visits =
            [
                new("/", "Dashboard", "h1"),
                new("/hosts", "Hosts", "tbody tr a[href^=\"/hosts/\"]"),
                new($"/runs/{runId}", "Run of", "[data-testid=run-state]"),
                new("/runs", "Runs", "tbody tr"),
                new("/plans", "Plans", "tbody tr"),
                new("/windows", "Windows", "tbody tr"),
                new("/audit", "Audit", "tbody tr"),
                new("/groups", "Groups", "h1"),
            ];

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await LaunchAsync(playwright);
            var tally = new SoakTally();
            var samples = new List<MemorySample>();
            using var stop = new CancellationTokenSource();
            var clock = Stopwatch.StartNew();

            var users = new List<Task>();
            for (var u = 0; u < settings.SoakUsers; u++)
            {
                var user = u;
                users.Add(Task.Run(() => BrowseAsync(browser, visits, user, tally, stop.Token)));
            }

            var sampler = Task.Run(async () =>
            {
                using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
                while (!stop.IsCancellationRequested)
                {
                    var (heap, live, committed, full) = await ManagedHeapAsync(http);
                    samples.Add(new MemorySample(clock.Elapsed.TotalSeconds, portal.RssMiB(), heap, live, committed, full));
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(settings.SoakSampleSeconds), stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            });

            // Users browse for a while before the run starts, so the run's own memory shows against a warm portal.
            await Task.Delay(settings.SoakBefore);
            var runStarted = clock.Elapsed;
            var maps = new List<(string When, IReadOnlyDictionary<string, double>? Owners)> { ("run starts", MemoryMap.Of(portal.Id)) };
            await StartNowAsync(dataDir, runId);
            var run = await WaitForSoakRunAsync(portal, dataDir, runId, clock, settings.SoakLimit - settings.SoakAfter);
            var runEnded = clock.Elapsed;
            maps.Add(("run ended", MemoryMap.Of(portal.Id)));
            await Task.Delay(settings.SoakAfter / 2);
            maps.Add((FormattableString.Invariant($"{(settings.SoakAfter / 2).TotalMinutes:0.#} min later"), MemoryMap.Of(portal.Id)));
            await Task.Delay(settings.SoakAfter / 2);
            maps.Add((FormattableString.Invariant($"{settings.SoakAfter.TotalMinutes:0.#} min later"), MemoryMap.Of(portal.Id)));

            await stop.CancelAsync();
            await Task.WhenAll(users);
            await sampler;
            await ReportSoakAsync(dataDir, run, hosts, processes, tally, samples, runStarted, runEnded, clock.Elapsed);
            ReportMemoryMap(maps);
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
    /// Where the portal's RSS went, by owner (<see cref="MemoryMap"/>), when the run started, when it ended, and halfway
    /// through and at the end of the browsing after it: growth that keeps on after the run shows here by its source.
    /// </summary>
    private void ReportMemoryMap(List<(string When, IReadOnlyDictionary<string, double>? Owners)> maps)
    {
        var read = maps.Where(m => m.Owners is not null).Select(m => (m.When, Owners: m.Owners!)).ToList();
        if (read.Count == 0)
        {
            return;
        }

        report.Line();
        report.Line("Where the portal's resident memory went, MiB by owner from `/proc/PID/smaps` (the owners are told apart by the shape of their mappings: `bench/MemoryMap.cs`; `patchportal-bench memory-map PID` prints the same for any process). The last column is the change over the browsing after the run.");
        var owners = MemoryMap.Owners.Append("total").ToList();
        double Value(IReadOnlyDictionary<string, double> map, string owner) => owner == "total" ? map.Values.Sum() : map[owner];
        report.Table(
            ["owner", .. read.Select(m => m.When), "after the run"],
            owners.Select(owner => (IReadOnlyList<string>)
            [
                owner,
                .. read.Select(m => Report.F(Value(m.Owners, owner))),
                read.Count >= 3 ? FormattableString.Invariant($"{Value(read[^1].Owners, owner) - Value(read[1].Owners, owner):+0.0;-0.0;0.0}") : "",
            ]).ToList());
    }

    /// <summary>
    /// The portal's managed heap, the live heap after its latest full collection and the GC's committed memory in MiB,
    /// and its count of full (gen 2) collections, from <c>dotnet_total_memory_bytes</c>,
    /// <c>patchportal_gc_live_heap_bytes</c>, <c>system_runtime_dotnet_gc_last_collection_memory_committed_size</c> and
    /// <c>dotnet_collection_count_total{generation="2"}</c> on its /metrics; NaN when it does not answer.
    /// </summary>
    private static async Task<(double HeapMiB, double LiveMiB, double CommittedMiB, double FullCollections)> ManagedHeapAsync(HttpClient http)
    {
        try
        {
            var lines = (await http.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Split('\n');
            double Value(string prefix) => lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line
                ? double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)
                : double.NaN;
            return (Value("dotnet_total_memory_bytes ") / 1024 / 1024, Value("patchportal_gc_live_heap_bytes ") / 1024 / 1024,
                Value("system_runtime_dotnet_gc_last_collection_memory_committed_size ") / 1024 / 1024, Value("dotnet_collection_count_total{generation=\"2\"}"));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or FormatException)
        {
            return (double.NaN, double.NaN, double.NaN, double.NaN);
        }
    }

    /// <summary>
    /// One user: a browser context of its own, signed in, visiting the pages in turn until stopped, mostly as the app's
    /// own navigation inside one live circuit (as a person clicks through it), every fifth visit as a full page load
    /// (a new circuit, as a new tab). Every failure is tallied: a navigation that does not show its page within 30 s, a
    /// response of 500 or more, a failed request, the Blazor error bar, a lost circuit, an error in the console.
    /// </summary>
    private async Task BrowseAsync(IBrowser browser, IReadOnlyList<Visit> visits, int user, SoakTally tally, CancellationToken stop)
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        page.Request += (_, _) => Interlocked.Increment(ref tally.Requests);
        page.Response += (_, response) =>
        {
            if (response.Status >= 500)
            {
                tally.Fail($"user {user}: {response.Status} from {response.Request.Method} {response.Url}");
            }
        };
        page.RequestFailed += (_, request) =>
        {
            // A navigation that replaces a page aborts what the old page still loaded: that is not a failure.
            if (request.Failure is { } failure && !failure.Contains("ERR_ABORTED", StringComparison.Ordinal))
            {
                tally.Fail($"user {user}: {request.Method} {request.Url} failed: {failure}");
            }
        };
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                tally.Fail($"user {user}: console error on {page.Url}: {message.Text}");
            }
        };

        await SignInAsync(page);
        for (var i = user; !stop.IsCancellationRequested; i++)
        {
            var visit = visits[i % visits.Count];
            var clock = Stopwatch.StartNew();
            try
            {
                if (i % 5 == 0)
                {
                    var response = await page.GotoAsync(visit.Path, new() { Timeout = 30_000 });
                    if (response is { Status: >= 400 } bad)
                    {
                        tally.Fail($"user {user}: {visit.Path} answered {bad.Status}");
                    }
                }
                else
                {
                    await page.EvaluateAsync("path => Blazor.navigateTo(path)", visit.Path);
                }

                await page.WaitForFunctionAsync(
                    "([title, ready]) => document.title.startsWith(title) && document.querySelector(ready) !== null",
                    new object[] { visit.Title, visit.Ready }, new() { Timeout = 30_000, PollingInterval = 50 });
                tally.NavigationMs.Add(clock.Elapsed.TotalMilliseconds);
                Interlocked.Increment(ref tally.Navigations);
                if (await page.Locator("#blazor-error-ui").IsVisibleAsync())
                {
                    tally.Fail($"user {user}: the error bar is shown on {visit.Path}");
                }

                if (await page.Locator("#components-reconnect-modal").IsVisibleAsync())
                {
                    tally.Fail($"user {user}: the circuit was lost on {visit.Path}");
                }
            }
            catch (Exception ex) when (ex is TimeoutException or PlaywrightException)
            {
                var title = await page.TitleAsync();
                tally.Fail($"user {user}: {visit.Path} was not shown within 30 s (the page is '{title}' at {page.Url}): {ex.Message.Split('\n')[0]}");
            }

            try
            {
                // A person reads the page for a moment; the run page meanwhile streams its hosts.
                await Task.Delay(TimeSpan.FromMilliseconds(1000 + Random.Shared.Next(1000)), stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task<PatchRun> WaitForSoakRunAsync(ChildProcess portal, string dataDir, Guid runId, Stopwatch clock, TimeSpan limit)
    {
        await using var services = Database(dataDir);
        var factory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        while (true)
        {
            await using (var db = await factory.CreateDbContextAsync())
            {
                var run = await db.PatchRuns.AsNoTracking().SingleAsync(r => r.Id == runId);
                if (run.State is RunState.Succeeded or RunState.PartiallyFailed or RunState.Failed or RunState.Cancelled)
                {
                    return run;
                }

                if (clock.Elapsed > limit || portal.HasExited)
                {
                    report.Problem($"soak: the run did not finish within {limit} (state {run.State}); the portal's last words: {string.Join(" | ", portal.Output.Split(Environment.NewLine).TakeLast(6))}");
                    return run;
                }
            }

            await Task.Delay(1000);
        }
    }

    private async Task ReportSoakAsync(
        string dataDir, PatchRun run, int hosts, int processes, SoakTally tally, List<MemorySample> samples, TimeSpan runStarted, TimeSpan runEnded, TimeSpan total)
    {
        int succeeded;
        await using (var services = Database(dataDir))
        await using (var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            succeeded = await db.HostRuns.CountAsync(h => h.RunId == run.Id && h.State == HostRunState.Succeeded);
        }

        static double Median(IEnumerable<double> values)
        {
            var known = values.Where(v => !double.IsNaN(v)).ToList();
            return known.Count == 0 ? double.NaN : AgentBench.Median(known);
        }

        var quarter = total.TotalSeconds / 4;
        double InQuarter(int q, Func<MemorySample, double> value) => Median(samples.Where(s => s.Seconds >= quarter * (q - 1) && s.Seconds < quarter * q).Select(value));
        // After the run: the users go on browsing; its first and last thirds are compared.
        var after = (total - runEnded).TotalSeconds;
        double AfterRun(int third, Func<MemorySample, double> value) => Median(samples
            .Where(s => s.Seconds >= runEnded.TotalSeconds + after / 3 * (third - 1) && s.Seconds < runEnded.TotalSeconds + after / 3 * third).Select(value));
        var rssFirst = AfterRun(1, s => s.RssMiB);
        var rssLast = AfterRun(3, s => s.RssMiB);
        var heapFirst = AfterRun(1, s => s.ManagedMiB);
        var heapLast = AfterRun(3, s => s.ManagedMiB);
        // What survives a full collection is what is live: garbage waiting for the next collection is not a leak, live
        // data that grows from the first third after the run to the last is. It is judged when full collections ran in
        // both thirds (the gauge holds its value between them); otherwise RSS is judged, which also counts the heap the
        // GC keeps for later.
        var afterRun = samples.Where(s => s.Seconds >= runEnded.TotalSeconds).ToList();
        var fullAfterRun = afterRun.Count < 2 ? 0 : afterRun[^1].FullCollections - afterRun[0].FullCollections;
        var liveFirst = AfterRun(1, s => s.LiveMiB);
        var liveLast = AfterRun(3, s => s.LiveMiB);
        var judgedOnLive = fullAfterRun >= 3 && !double.IsNaN(liveFirst) && !double.IsNaN(liveLast) && liveFirst > 0;
        var (judgedFirst, judgedLast, judged) = judgedOnLive ? (liveFirst, liveLast, "live heap") : (rssFirst, rssLast, "RSS");
        var flat = judgedLast <= judgedFirst * (1 + FlatFraction) + FlatMarginMiB;
        var navigation = tally.NavigationMs.Order().ToArray();

        report.Heading("## Soak: a run over a simulated fleet while users browse");
        report.Line(FormattableString.Invariant($"The built portal on SQLite; **{hosts} simulated hosts served by {processes} real agent processes** (as in the fleet figures), concurrency limit {settings.SoakConcurrency}, {settings.SoakJobDurationMs} ms per job. {settings.SoakUsers} users, each a signed-in headless Chromium context of its own, visit the dashboard, hosts, the run, runs, plans, windows, audit and groups in turn for {total.TotalMinutes:0.0} min, a page every 1–2 s: four visits in five through the app's own navigation in one live circuit, every fifth a full page load (a new circuit, as a new tab; the portal keeps a closed tab's circuit for a while, as Blazor does). The run starts after {runStarted.TotalSeconds:0} s of browsing; the users go on for {(total - runEnded).TotalMinutes:0.0} min after it ended. Memory is sampled every {settings.SoakSampleSeconds} s from the portal's process and its /metrics: RSS, the managed heap (`dotnet_total_memory_bytes`, garbage not yet collected included) and the live heap (`patchportal_gc_live_heap_bytes`, what the latest full collection left). Flat means that, while the users browse after the run, the median live heap of the last third is at most the first third's × {1 + FlatFraction:0.00} + {FlatMarginMiB:0} MiB (RSS is judged instead when fewer than 3 full collections ran after the run: the server GC collects lazily and keeps freed memory for reuse, so RSS and the managed heap follow its pace more than the portal's)."));
        report.Table(["figure", "value"],
        [
            ["run", FormattableString.Invariant($"{run.State}, {succeeded} of {hosts} hosts succeeded, {(runEnded - runStarted).TotalMinutes:0.0} min")],
            ["page visits shown", report.Figure("soak.navigations", tally.Navigations, "0")],
            ["browser requests", Report.F(tally.Requests, "0")],
            ["failed requests or visits", Report.F(tally.Failures.Count, "0")],
            ["visit time median / p99 ms", navigation.Length == 0 ? "none" : FormattableString.Invariant($"{navigation[navigation.Length / 2]:0} / {navigation[Math.Min(navigation.Length - 1, (int)Math.Ceiling(0.99 * navigation.Length) - 1)]:0}")],
            ["portal RSS median per quarter MiB", string.Join(" · ", Enumerable.Range(1, 4).Select(q => Report.F(InQuarter(q, s => s.RssMiB), "0")))],
            ["GC committed memory median per quarter MiB (the heap's share of RSS, free space kept for reuse included)", string.Join(" · ", Enumerable.Range(1, 4).Select(q => Report.F(InQuarter(q, s => s.CommittedMiB), "0")))],
            ["portal RSS max MiB", report.Figure("soak.rss.max", samples.Count == 0 ? double.NaN : samples.Max(s => s.RssMiB), "0")],
            ["managed heap median per quarter MiB", string.Join(" · ", Enumerable.Range(1, 4).Select(q => Report.F(InQuarter(q, s => s.ManagedMiB), "0")))],
            ["live heap after full collections, median per quarter MiB", string.Join(" · ", Enumerable.Range(1, 4).Select(q => Report.F(InQuarter(q, s => s.LiveMiB), "0")))],
            ["after the run, first → last third", FormattableString.Invariant($"live heap {liveFirst:0} → {liveLast:0} MiB, RSS {rssFirst:0} → {rssLast:0} MiB, heap {heapFirst:0} → {heapLast:0} MiB, GC committed {AfterRun(1, s => s.CommittedMiB):0} → {AfterRun(3, s => s.CommittedMiB):0} MiB; {fullAfterRun:0} full collections")],
            ["judged on " + judged, flat ? "flat" : "**growing**"],
        ]);
        report.Figure("soak.rss.after_first_third", rssFirst);
        report.Figure("soak.rss.after_last_third", rssLast);
        if (!tally.Failures.IsEmpty)
        {
            report.Problem($"soak: {tally.Failures.Count} failed request(s) or visit(s); the first: {string.Join(" ¦ ", tally.Failures.Take(5))}");
        }

        if (succeeded != hosts)
        {
            report.Problem($"soak: {succeeded} of {hosts} hosts of the run succeeded (run {run.State}: {run.StateReason})");
        }

        // A smoke soak lasts seconds from a cold start, when memory only grows (JIT, first circuits): not judged there.
        if (!flat && !settings.Smoke)
        {
            report.Problem(FormattableString.Invariant($"soak: the portal's {judged} grew while users browsed after the run, from {judgedFirst:0} MiB to {judgedLast:0} MiB"));
        }
    }
}
