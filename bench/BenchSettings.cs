namespace PatchPortal.Bench;

/// <summary>Sizes and durations: the full run, or the smoke run CI uses so the bench cannot rot (seconds, tiny sizes).</summary>
public sealed record BenchSettings
{
    public bool Smoke { get; init; }

    /// <summary>Each load run, after its warm-up (the JIT agent reaches its optimised code after a few seconds of load).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(8);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    public IReadOnlyList<int> Connections { get; init; } = [1, 10, 100, 500];

    public int NewConnectionClients { get; init; } = 10;

    public int StartupRepeats { get; init; } = 4;

    public int CachedRepeats { get; init; } = 20;

    public int Jobs { get; init; } = 50;

    public TimeSpan IdleSettle { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a published agent is left quiet after a listing before its memory is read again: long enough for the
    /// agent's idle trim (two of IdleMemoryTrimmer's 10-second checks) to give the listing's memory back.
    /// </summary>
    public TimeSpan IdleTrimSettle { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>Fleet sizes and the run's concurrency limits (Portal:Runs:MaxConcurrentHosts) to try on each.</summary>
    public IReadOnlyList<(int Hosts, int Concurrency)> FleetRuns { get; init; } = [(100, 10), (100, 50), (1000, 50), (5000, 50)];

    /// <summary>How long a simulated agent job takes.</summary>
    public int JobDurationMs { get; init; } = 1000;

    /// <summary>Hosts one simulated agent process stands in for at most.</summary>
    public int HostsPerAgentProcess { get; init; } = 100;

    public int LiveRunHosts { get; init; } = 1000;

    public int LiveBrowsers { get; init; } = 5;

    public int HostListHosts { get; init; } = 5000;

    /// <summary>The soak: a run over this many simulated hosts while <see cref="SoakUsers"/> browse before, during and after it.</summary>
    public int SoakHosts { get; init; } = 1000;

    public int SoakConcurrency { get; init; } = 20;

    /// <summary>Long enough that the run lasts most of the soak: 1000 hosts / 20 at a time × 6 s ≈ 5 min.</summary>
    public int SoakJobDurationMs { get; init; } = 6000;

    public int SoakUsers { get; init; } = 3;

    /// <summary>How long the users browse before the run starts (the portal warms up), and after it ended (memory is judged then).</summary>
    public TimeSpan SoakBefore { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan SoakAfter { get; init; } = TimeSpan.FromMinutes(8);

    /// <summary>The bound on the whole soak: a run still going by then is reported, not waited for.</summary>
    public TimeSpan SoakLimit { get; init; } = TimeSpan.FromMinutes(30);

    public int SoakSampleSeconds { get; init; } = 2;

    public static BenchSettings Full { get; } = new();

    public static BenchSettings SmokeRun { get; } = new()
    {
        Smoke = true,
        Duration = TimeSpan.FromSeconds(0.5),
        Warmup = TimeSpan.FromSeconds(0.2),
        Connections = [1, 10],
        NewConnectionClients = 2,
        StartupRepeats = 1,
        CachedRepeats = 3,
        Jobs = 3,
        IdleSettle = TimeSpan.FromSeconds(0.5),
        IdleTrimSettle = TimeSpan.FromSeconds(0.5),
        FleetRuns = [(6, 3)],
        JobDurationMs = 200,
        HostsPerAgentProcess = 3,
        LiveRunHosts = 6,
        LiveBrowsers = 1,
        HostListHosts = 30,
        SoakHosts = 8,
        SoakConcurrency = 4,
        SoakJobDurationMs = 500,
        SoakUsers = 1,
        SoakBefore = TimeSpan.FromSeconds(3),
        SoakAfter = TimeSpan.FromSeconds(12),
        SoakLimit = TimeSpan.FromMinutes(2),
        SoakSampleSeconds = 1,
    };
}
