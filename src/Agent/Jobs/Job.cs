using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Agent.Jobs;

/// <summary>The persisted record of one job. Mutable: every access goes through <see cref="Sync"/>.</summary>
/// <remarks>
/// Thread safety: one lock per job (<see cref="Sync"/>). The worker, the backend's output pumps, the API
/// (find, cancel) and WebSocket subscribers all touch a job; a per-job lock keeps that simple and never makes
/// one job wait for another. Events about a job are published while its lock is held, so every subscriber sees
/// a job's events in the order its state changed.
/// </remarks>
public sealed class Job
{
    /// <summary>How many log lines a job keeps: the end of the output explains a failure; the whole of it can be huge.</summary>
    public const int MaxLogLines = 500;

    /// <summary>How much of each command stream a job keeps.</summary>
    public const int MaxStreamTailChars = 16 * 1024;

    public required string Id { get; init; }

    public required string Operation { get; init; }

    public string Status { get; set; } = JobStatuses.Pending;

    public int Progress { get; set; }

    public string? Message { get; set; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public List<PackageSpec> Packages { get; init; } = [];

    /// <summary>What the backend executes; null for reboot jobs.</summary>
    public PackageOperation? PackageOperation { get; init; }

    public List<string> Logs { get; init; } = [];

    public string? Error { get; set; }

    public string? ErrorCode { get; set; }

    public int? ExitCode { get; set; }

    public string? CommandStdout { get; set; }

    public string? CommandStderr { get; set; }

    public string? RollbackJobId { get; set; }

    public string? OriginalJobId { get; init; }

    /// <summary>True for package jobs: they hold the package database's one lock.</summary>
    public bool ExclusiveMode { get; init; }

    public List<PackageChange> Changes { get; set; } = [];

    public bool? RequiresReboot { get; init; }

    /// <summary>Reboot after this job succeeds (patch_apply with auto reboot).</summary>
    public bool? AutoReboot { get; init; }

    public TimeSpan? RebootDelay { get; init; }

    /// <summary>For reboot jobs: when the reboot command runs.</summary>
    public DateTimeOffset? ScheduledAt { get; init; }

    public string? Reason { get; init; }

    public int? PatchesCount { get; init; }

    public string? TargetVersion { get; init; }

    public string? RequestedBy { get; init; }

    /// <summary>The id of the request that started the job, so its log lines join the caller's.</summary>
    public string? RequestId { get; init; }

    /// <summary>The Idempotency-Key the starting request carried: a request repeating it is answered with this job.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>The lock guarding every mutable member. Not persisted.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Lock Sync { get; } = new();

    /// <summary>Log lines appended since the job was last saved (saving every line would be one fsync per line).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    internal bool Dirty { get; set; }

    /// <summary>Deleted (by a client or by retention): nothing may write its file again.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    internal bool Deleted { get; set; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsFinal => JobStatuses.IsFinal(Status);

    /// <summary>Moves the job to <paramref name="status"/>, stamping the times; throws when the state machine forbids it.</summary>
    /// <exception cref="InvalidOperationException">The transition is not legal (e.g. out of a final state).</exception>
    public void TransitionTo(string status, DateTimeOffset now, string? message = null)
    {
        if (!JobStateMachine.CanTransition(Status, status))
        {
            throw new InvalidOperationException($"Job {Id} cannot go from {Status} to {status}.");
        }

        Status = status;
        UpdatedAt = now;
        if (message is not null)
        {
            Message = message;
        }

        if (status == JobStatuses.Running)
        {
            StartedAt = now;
        }
        else if (JobStatuses.IsFinal(status))
        {
            CompletedAt = now;
            if (status == JobStatuses.Completed)
            {
                Progress = 100;
            }
        }
    }

    public void AppendLog(string line)
    {
        if (Logs.Count >= MaxLogLines)
        {
            Logs.RemoveRange(0, Logs.Count - MaxLogLines + 1);
        }

        Logs.Add(line);
        Dirty = true;
    }

    public static string? Tail(string? text) =>
        text is null || text.Length <= MaxStreamTailChars ? text : text[^MaxStreamTailChars..];
}

/// <summary>The legal moves between job states.</summary>
public static class JobStateMachine
{
    /// <summary>
    /// pending → running | cancelled | interrupted; running → completed | failed | cancelled | timeout | interrupted.
    /// Final states are final: a record of what happened must not change afterwards.
    /// </summary>
    public static bool CanTransition(string from, string to) => from switch
    {
        JobStatuses.Pending => to is JobStatuses.Running or JobStatuses.Cancelled or JobStatuses.Interrupted,
        JobStatuses.Running => to is JobStatuses.Completed or JobStatuses.Failed or JobStatuses.Cancelled
            or JobStatuses.Timeout or JobStatuses.Interrupted,
        _ => false,
    };
}
