namespace PatchPortal.Portal.Data.Entities;

public enum RunState
{
    Scheduled,
    Running,
    Paused,
    Succeeded,
    PartiallyFailed,
    Failed,
    Cancelled,
}

/// <summary>
/// One execution of a plan for one window occurrence. (PlanId, OccurrenceStart) is unique, which is what makes
/// "no host patched twice for the same occurrence" hold even when Hangfire runs a job twice.
/// </summary>
public class PatchRun : IConcurrencyStamped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid PlanId { get; set; }
    public PatchPlan? Plan { get; set; }

    /// <summary>The occurrence's start (UTC); for a "now" plan, the moment it was approved.</summary>
    public DateTimeOffset OccurrenceStart { get; set; }
    public DateTimeOffset OccurrenceEnd { get; set; }

    /// <summary>No host starts at or after this instant.</summary>
    public DateTimeOffset CutoffAt { get; set; }

    public RunState State { get; set; }
    public string? StateReason { get; set; }

    /// <summary>Operators' pause: running hosts finish, no new host starts until resumed.</summary>
    public bool PauseRequested { get; set; }

    public int CurrentBatch { get; set; }
    public string? HangfireJobId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? CancelledBy { get; set; }

    /// <summary>
    /// The portal node executing the run (machine and process instance); with <see cref="LeaseExpiresAt"/>, it keeps
    /// two executors off one run. The executor renews it while it works; a crashed node's claim lapses.
    /// </summary>
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    public Guid ConcurrencyStamp { get; set; } = Guid.NewGuid();

    public ICollection<HostRun> Hosts { get; } = [];
}
