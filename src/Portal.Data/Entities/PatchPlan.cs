namespace PatchPortal.Portal.Data.Entities;

public enum PlanState
{
    Draft,
    PendingApproval,
    Approved,
    Rejected,
    Scheduled,
    Running,
    Succeeded,
    PartiallyFailed,
    Failed,
    Cancelled,
    Expired,
}

/// <summary>Which updates a plan applies.</summary>
public enum PlanPackageScope
{
    AllUpdates,
    SecurityOnly,
    NamedPackages,
}

/// <summary>When a plan runs.</summary>
public enum PlanTiming
{
    /// <summary>One chosen occurrence of the window (<see cref="PatchPlan.OccurrenceStart"/>).</summary>
    Occurrence,

    /// <summary>The window's next occurrence after approval.</summary>
    NextOccurrence,

    /// <summary>Every occurrence of the window until the plan is cancelled.</summary>
    EveryOccurrence,

    /// <summary>As soon as it is approved, outside any window (blackouts still apply).</summary>
    Now,
}

public enum RebootPolicy
{
    Never,
    IfRequired,
    Always,
}

/// <summary>
/// What to patch, where, when and how, and who asked. The legal state changes live here
/// (<see cref="TransitionTo"/>); approval rules that need users and groups live in the Plans feature.
/// </summary>
public class PatchPlan : IConcurrencyStamped
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public string? Description { get; set; }

    public PlanState State { get; private set; } = PlanState.Draft;

    /// <summary>Bumped on every edit; approvals count only for the revision they were given to.</summary>
    public int Revision { get; set; } = 1;

    // What
    public PlanPackageScope Scope { get; set; }

    /// <summary>Package names for <see cref="PlanPackageScope.NamedPackages"/>.</summary>
    public List<string> Packages { get; set; } = [];

    /// <summary>Package names or globs (linux-image-*) never touched by this plan.</summary>
    public List<string> ExcludedPackages { get; set; } = [];

    // When
    public PlanTiming Timing { get; set; }
    public Guid? WindowId { get; set; }
    public MaintenanceWindow? Window { get; set; }

    /// <summary>The chosen occurrence (UTC start) for <see cref="PlanTiming.Occurrence"/>.</summary>
    public DateTimeOffset? OccurrenceStart { get; set; }

    // How
    public int BatchSize { get; set; } = 1;
    public bool BatchSizeIsPercent { get; set; }

    /// <summary>Hosts patched first, alone in the first batch; the run halts if any of them fails.</summary>
    public List<Guid> CanaryHostIds { get; set; } = [];

    public int MaxFailures { get; set; }
    public bool MaxFailuresIsPercent { get; set; }
    public RebootPolicy RebootPolicy { get; set; } = RebootPolicy.IfRequired;
    public int HostTimeoutMinutes { get; set; } = 30;

    // Who and approval
    public required string RequestedBy { get; set; }
    public int RequiredApprovals { get; set; } = 1;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? SubmittedAt { get; set; }

    /// <summary>When the approval lapses unused (the end of the occurrence it was given for).</summary>
    public DateTimeOffset? ApprovalExpiresAt { get; set; }

    /// <summary>Optimistic concurrency: two approvers deciding at once must not both win.</summary>
    public Guid ConcurrencyStamp { get; set; } = Guid.NewGuid();

    public ICollection<HostGroup> TargetGroups { get; } = [];
    public ICollection<Tag> TargetTags { get; } = [];
    public ICollection<ManagedHost> TargetHosts { get; } = [];
    public ICollection<PlanManifestHost> Manifest { get; } = [];
    public ICollection<PlanApproval> Approvals { get; } = [];
    public ICollection<PlanEvent> Events { get; } = [];

    public bool CanTransitionTo(PlanState next) => PlanStateMachine.IsAllowed(State, next);

    /// <summary>Moves to <paramref name="next"/> or throws when the step is not a legal one.</summary>
    public void TransitionTo(PlanState next)
    {
        if (!CanTransitionTo(next))
        {
            throw new InvalidOperationException($"A plan in state {State} cannot become {next}.");
        }

        State = next;
    }
}

/// <summary>The plan life cycle: Draft → PendingApproval → Approved | Rejected → Scheduled → Running → an end state.</summary>
public static class PlanStateMachine
{
    private static readonly Dictionary<PlanState, PlanState[]> Next = new()
    {
        [PlanState.Draft] = [PlanState.PendingApproval, PlanState.Cancelled],
        [PlanState.PendingApproval] = [PlanState.Approved, PlanState.Rejected, PlanState.Draft, PlanState.PendingApproval, PlanState.Cancelled, PlanState.Expired],
        [PlanState.Approved] = [PlanState.Scheduled, PlanState.PendingApproval, PlanState.Cancelled, PlanState.Expired],
        [PlanState.Rejected] = [PlanState.Draft, PlanState.PendingApproval, PlanState.Cancelled],
        [PlanState.Scheduled] = [PlanState.Running, PlanState.PendingApproval, PlanState.Cancelled, PlanState.Expired],
        [PlanState.Running] = [PlanState.Succeeded, PlanState.PartiallyFailed, PlanState.Failed, PlanState.Cancelled, PlanState.Scheduled],
        [PlanState.Succeeded] = [],
        [PlanState.PartiallyFailed] = [PlanState.Running],
        [PlanState.Failed] = [PlanState.Running],
        [PlanState.Cancelled] = [],
        [PlanState.Expired] = [PlanState.Draft, PlanState.Cancelled],
    };

    public static bool IsAllowed(PlanState from, PlanState to) => Next.TryGetValue(from, out var targets) && targets.Contains(to);

    public static IReadOnlyList<PlanState> NextStates(PlanState from) => Next.TryGetValue(from, out var targets) ? targets : [];

    /// <summary>States in which the plan's content may be edited (an edit of an approved plan sends it back for approval).</summary>
    public static bool IsEditable(PlanState state) =>
        state is PlanState.Draft or PlanState.PendingApproval or PlanState.Approved or PlanState.Rejected or PlanState.Scheduled or PlanState.Expired;

    public static bool IsFinal(PlanState state) => state is PlanState.Succeeded or PlanState.Cancelled;
}
