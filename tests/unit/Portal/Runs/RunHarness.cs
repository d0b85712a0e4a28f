using Hangfire;
using Hangfire.Storage.SQLite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Inventory;
using PatchPortal.Portal.Runs;
using PatchPortal.Portal.Windows;
using PatchPortal.Tests.Unit.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Runs;

/// <summary>
/// The run engine's real parts (scheduler, executor, host patcher, lease, rules) over real SQLite and Hangfire
/// storage, with a scripted agent client, a fake clock, and test doubles for the blackout calendar and inventory.
/// </summary>
internal sealed class RunHarness : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 29, 1, 0, 0, TimeSpan.Zero);

    private readonly SQLiteStorage _storage;

    public RunHarness(RunsOptions? options = null)
    {
        Options = options ?? new RunsOptions { RetryBaseSeconds = 10, RetryMaxSeconds = 120, PollSeconds = 5 };
        _storage = new SQLiteStorage(Path.Combine(Database.Directory, "hangfire.db"), new SQLiteStorageOptions());
        Jobs = new BackgroundJobClient(_storage);
        Clock = new WallClock(Time);
    }

    public RunsDatabase Database { get; } = new();

    public ScriptedAgentClient Agents { get; } = new();

    public FakeTimeProvider Time { get; } = new(Start);

    /// <summary>The wall clock the engine's parts read: <see cref="Time"/> unless a test jumps it.</summary>
    public WallClock Clock { get; }

    public FakeMaintenanceSchedule Schedule { get; } = new();

    public FakeBlackoutCalendar Blackouts { get; } = new();

    public RecordingRefreshScheduler Inventory { get; } = new();

    public RunEventHub Events { get; } = new();

    public RunSignals Signals { get; } = new();

    public RunsOptions Options { get; }

    public BackgroundJobClient Jobs { get; }

    public JobStorage Storage => _storage;

    public PortalNode Node { get; } = new("unit-test", "node-a");

    public RunScheduler Scheduler() => new(
        Database, Schedule, Jobs, new AuditLog(Database, Clock), Events,
        Microsoft.Extensions.Options.Options.Create(Options), Clock, NullLogger<RunScheduler>.Instance);

    public RunLease Lease(PortalNode? node = null) => new(Database, node ?? Node, Microsoft.Extensions.Options.Options.Create(Options), Clock);

    /// <summary>Claims the run as one executor of <paramref name="node"/> would; returns the claim's owner.</summary>
    public async Task<string> ClaimAsync(Guid runId, PortalNode? node = null)
    {
        var lease = Lease(node);
        var owner = lease.NewOwner();
        Assert.True(await lease.TryAcquireAsync(runId, owner, CancellationToken.None));
        return owner;
    }

    public RunExecutor Executor(PortalNode? node = null) => new(
        Database,
        new HostPatcher(Database, Agents, Events, Microsoft.Extensions.Options.Options.Create(Options), Clock, NullLogger<HostPatcher>.Instance),
        Lease(node),
        Signals,
        Events,
        Blackouts,
        Inventory,
        Scheduler(),
        new AuditLog(Database, Clock),
        Microsoft.Extensions.Options.Options.Create(Options),
        Clock,
        NullLogger<RunExecutor>.Instance);

    /// <summary>A window with one occurrence starting at <see cref="Start"/>: two hours, the last half hour cut off.</summary>
    public async Task<MaintenanceWindow> WindowAsync(TimeSpan? duration = null, TimeSpan? cutoff = null)
    {
        var window = await Database.AddWindowAsync();
        Schedule.Add(window, Start, duration ?? TimeSpan.FromHours(2), cutoff ?? TimeSpan.FromMinutes(30));
        return window;
    }

    /// <summary>Hosts named <paramref name="names"/>, an approved plan for them in the window, and its scheduled run.</summary>
    public async Task<(PatchPlan Plan, PatchRun Run, IReadOnlyList<ManagedHost> Hosts)> ScheduledRunAsync(
        string[] names, Action<PatchPlan>? configure = null, MaintenanceWindow? window = null)
    {
        window ??= await WindowAsync();
        var hosts = new List<ManagedHost>();
        foreach (var name in names)
        {
            hosts.Add(await Database.AddHostAsync(name));
        }

        var plan = await Database.AddApprovedPlanAsync(window, hosts, configure);
        await Scheduler().ScheduleAsync(plan.Id, "approver@test", CancellationToken.None);
        var run = Assert.Single(await Database.RunsOfAsync(plan.Id));
        return (plan, run, hosts);
    }

    /// <summary>
    /// Runs the executor to its end, moving the fake clock on by <paramref name="step"/> whenever the engine looks
    /// idle (no SQL and no agent call for a few real milliseconds: it waits for a back-off, a poll or a reboot);
    /// fails the test if it does not end within the real-time limit.
    /// </summary>
    public async Task ExecuteAsync(Guid runId, TimeSpan? step = null, RunExecutor? executor = null)
    {
        var task = (executor ?? Executor()).ExecuteAsync(runId, CancellationToken.None);
        await DriveAsync(task, step);
    }

    public async Task DriveAsync(Task task, TimeSpan? step = null)
    {
        var limit = DateTime.UtcNow.AddSeconds(60);
        var seen = -1;
        while (!task.IsCompleted)
        {
            if (DateTime.UtcNow > limit)
            {
                throw new TimeoutException("The run did not end within 60 s of real time.");
            }

            await Task.WhenAny(task, Task.Delay(5));
            var activity = Database.SqlCount + Agents.Calls.Count;
            if (!task.IsCompleted && activity == seen)
            {
                Time.Advance(step ?? TimeSpan.FromMilliseconds(500));
            }

            seen = activity;
        }

        await task;
    }

    public RunControl Control() => new(Database, Agents, Jobs, Signals, Events, new AuditLog(Database, Clock), Clock);

    /// <summary>Waits (in real time) until <paramref name="condition"/> holds; fails the test after 30 s.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var limit = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > limit)
            {
                throw new TimeoutException($"Waited 30 s for: {what}");
            }

            await Task.Delay(10);
        }
    }

    public static HostRun Host(IEnumerable<HostRun> hosts, string name) => hosts.Single(h => h.HostName == name);

    /// <summary>The calls the scripted agent received for one host, in order.</summary>
    public List<string> CallsTo(ManagedHost host) => Agents.Calls.Where(c => c.HostId == host.Id).Select(c => c.Call).ToList();

    public void Dispose()
    {
        _storage.Dispose();
        Database.Dispose();
    }
}

/// <summary>Blackouts a test declares per host (the real calendar is the windows feature's).</summary>
internal sealed class FakeBlackoutCalendar : IBlackoutCalendar
{
    private readonly List<(Guid? HostId, Blackout Blackout)> _blackouts = [];

    /// <summary>A blackout over <paramref name="hostId"/> (null: every host) from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public void Add(Guid? hostId, string name, DateTimeOffset from, DateTimeOffset to) =>
        _blackouts.Add((hostId, new Blackout { Name = name, StartsAt = from, EndsAt = to, AppliesToAll = hostId is null }));

    public Task<Blackout?> ActiveForHostAsync(Guid hostId, DateTimeOffset at, CancellationToken cancellationToken) =>
        Task.FromResult(_blackouts.Where(b => (b.HostId is null || b.HostId == hostId) && b.Blackout.StartsAt <= at && at < b.Blackout.EndsAt)
            .Select(b => b.Blackout).FirstOrDefault());
}

/// <summary>Records the hosts whose inventory refresh was asked for.</summary>
internal sealed class RecordingRefreshScheduler : IHostRefreshScheduler
{
    private readonly List<Guid> _hosts = [];

    public IReadOnlyList<Guid> Hosts
    {
        get
        {
            lock (_hosts)
            {
                return [.. _hosts];
            }
        }
    }

    public void RefreshNow(IReadOnlyCollection<Guid> hostIds)
    {
        lock (_hosts)
        {
            _hosts.AddRange(hostIds);
        }
    }
}
