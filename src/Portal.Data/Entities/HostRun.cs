namespace PatchPortal.Portal.Data.Entities;

public enum HostRunState
{
    /// <summary>Waiting for its batch.</summary>
    Pending,

    /// <summary>The agent job was requested or is running.</summary>
    Patching,

    /// <summary>A transient failure; tried again at <see cref="HostRun.NextAttemptAt"/>.</summary>
    Retrying,

    /// <summary>A reboot was requested; waiting for the agent to come back.</summary>
    Rebooting,

    Succeeded,
    Failed,

    /// <summary>The host stayed unreachable through the window.</summary>
    Missed,

    /// <summary>Not started: the run halted, was cancelled, or the cutoff or a blackout came first.</summary>
    Skipped,

    RolledBack,
}

/// <summary>One host's part in a run: its agent job, attempts, progress, output and result.</summary>
public class HostRun : IConcurrencyStamped
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public Guid HostId { get; set; }
    public required string HostName { get; set; }
    public int BatchNumber { get; set; }
    public bool IsCanary { get; set; }

    public HostRunState State { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    public string? AgentJobId { get; set; }
    public string? RebootJobId { get; set; }
    public string? RollbackJobId { get; set; }
    public int ProgressPercent { get; set; }
    public string? Message { get; set; }

    /// <summary>The last lines of the agent job's output (bounded).</summary>
    public string? OutputExcerpt { get; set; }

    public string? Error { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset? RebootedAt { get; set; }

    /// <summary>The kernel the agent reported after the run (and after a reboot, if any).</summary>
    public string? KernelAfter { get; set; }

    public List<ManifestChange> Changes { get; set; } = [];

    public Guid ConcurrencyStamp { get; set; } = Guid.NewGuid();
}
