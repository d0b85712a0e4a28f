namespace PatchPortal.Agent.Machine;

/// <summary>
/// Gives memory back to the host once the agent goes quiet after work. The agent idles for hours between the portal's
/// calls, and the GC only collects when its allocation budget runs out, so the memory a package listing or a job
/// allocated would otherwise stay committed until the next burst of work. Every <see cref="Interval"/> this checks
/// how much the agent allocated: when the last interval was quiet and enough was allocated since the last trim, it
/// runs one full, compacting collection that also returns the freed memory to the operating system. Under load (an
/// interval that allocates much) it does nothing, so it never costs a request anything.
/// </summary>
public sealed partial class IdleMemoryTrimmer(TimeProvider time, ILogger<IdleMemoryTrimmer> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>Less than this allocated in an interval is quiet (health checks, timers).</summary>
    public const long QuietBytes = 1L << 20;

    /// <summary>At least this allocated since the last trim makes a trim worth its few milliseconds.</summary>
    public const long WorthBytes = 4L << 20;

    private long _seen = GC.GetTotalAllocatedBytes();
    private long _trimmed = GC.GetTotalAllocatedBytes();

    /// <summary>Whether to trim now, given the bytes allocated so far, at the previous check and after the last trim.</summary>
    public static bool ShouldTrim(long allocated, long seen, long trimmed) =>
        allocated - seen < QuietBytes && allocated - trimmed >= WorthBytes;

    /// <summary>One check; returns whether it trimmed.</summary>
    public bool Check()
    {
        var allocated = GC.GetTotalAllocatedBytes();
        var trim = ShouldTrim(allocated, _seen, _trimmed);
        _seen = allocated;
        if (!trim)
        {
            return false;
        }

        var before = Environment.WorkingSet;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _seen = _trimmed = GC.GetTotalAllocatedBytes();
        LogTrimmed(logger, before >> 10, Environment.WorkingSet >> 10);
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Check();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Debug, Message = "Quiet after work: memory given back, resident {BeforeKiB} KiB -> {AfterKiB} KiB")]
    private static partial void LogTrimmed(ILogger logger, long beforeKiB, long afterKiB);
}
