using System.ComponentModel.DataAnnotations;

namespace PatchPortal.Portal.Runs;

/// <summary>The "Portal:Runs" section: how runs dispatch hosts, retry, follow agent jobs and claim their work.</summary>
public sealed class RunsOptions
{
    public const string Section = "Portal:Runs";

    /// <summary>The Hangfire queue the run engine works on, served by its own workers.</summary>
    public const string Queue = "runs";

    /// <summary>Hosts of one run patched at the same time (the bound on concurrent agent jobs per run).</summary>
    [Range(1, 200)]
    public int MaxConcurrentHosts { get; set; } = 10;

    /// <summary>Hangfire workers of the runs queue: how many runs one portal node executes at once.</summary>
    [Range(1, 32)]
    public int ConcurrentRuns { get; set; } = 2;

    /// <summary>How long a plan timed "now" may keep starting hosts (and retrying unreachable ones).</summary>
    [Range(1, 7 * 24 * 60)]
    public int ImmediateRunMinutes { get; set; } = 240;

    /// <summary>First wait before a transient failure is retried; it doubles with each attempt.</summary>
    [Range(1, 3600)]
    public int RetryBaseSeconds { get; set; } = 15;

    /// <summary>The longest wait between two attempts on one host.</summary>
    [Range(1, 24 * 3600)]
    public int RetryMaxSeconds { get; set; } = 300;

    /// <summary>How often an agent job is polled when its WebSocket stream is lost, and a rebooting host is probed.</summary>
    [Range(1, 300)]
    public int PollSeconds { get; set; } = 5;

    /// <summary>How long an executor's claim on a run lasts without renewal (a crashed portal's claim lapses after it).</summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; set; } = 30;
}
