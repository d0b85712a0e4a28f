using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Plans;

/// <summary>The plan list's filters. <see cref="WaitingFor"/> keeps plans the named approver may still decide on.</summary>
public sealed record PlanFilter(string? Search = null, PlanState? State = null, string? RequestedBy = null, string? WaitingFor = null);

/// <summary>A sort of the plan list: a column key (the <see cref="PlanRow"/> property) and a direction.</summary>
public sealed record PlanSort(string? By = null, bool Descending = false)
{
    public const string Name = nameof(PlanRow.Name);
    public const string State = nameof(PlanRow.State);
    public const string RequestedBy = nameof(PlanRow.RequestedBy);
    public const string Updated = nameof(PlanRow.UpdatedAt);
    public const string Created = nameof(PlanRow.CreatedAt);
}

/// <summary>A plan as the list shows it. Equal by id, so a grid keeps its place when a page reloads.</summary>
public sealed record PlanRow(
    Guid Id,
    string Name,
    PlanState State,
    int Revision,
    string RequestedBy,
    PlanTiming Timing,
    string? WindowName,
    DateTimeOffset? OccurrenceStart,
    int Approvals,
    int RequiredApprovals,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public bool Equals(PlanRow? other) => other is not null && other.Id == Id;

    public override int GetHashCode() => Id.GetHashCode();
}

public sealed record PlanResultPage(IReadOnlyList<PlanRow> Items, int Total);

/// <summary>Something a plan names by id, with the name to show (null when it no longer exists).</summary>
public sealed record NamedRef(Guid Id, string Name);

public sealed record PlanDecisionRow(int Revision, string Approver, ApprovalDecision Decision, string? Comment, DateTimeOffset DecidedAt);

public sealed record PlanEventRow(DateTimeOffset OccurredAt, string Actor, string Kind, PlanState? FromState, PlanState? ToState, string? Message);

public sealed record PlanRunRow(Guid Id, DateTimeOffset OccurrenceStart, RunState State, string? StateReason, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, int Hosts);

/// <summary>Everything the plan page shows about one plan, except its manifest (see <see cref="ManifestRow"/>).</summary>
public sealed record PlanDetail
{
    public required Guid Id { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }
    public PlanState State { get; init; }
    public int Revision { get; init; }
    public required string RequestedBy { get; init; }
    public PlanPackageScope Scope { get; init; }
    public IReadOnlyList<string> Packages { get; init; } = [];
    public IReadOnlyList<string> ExcludedPackages { get; init; } = [];
    public IReadOnlyList<NamedRef> Groups { get; init; } = [];
    public IReadOnlyList<NamedRef> Tags { get; init; } = [];
    public IReadOnlyList<NamedRef> Hosts { get; init; } = [];
    public int TargetHostCount { get; init; }
    public PlanTiming Timing { get; init; }
    public Guid? WindowId { get; init; }
    public string? WindowName { get; init; }
    public string? WindowTimeZone { get; init; }
    public DateTimeOffset? OccurrenceStart { get; init; }
    public int BatchSize { get; init; }
    public bool BatchSizeIsPercent { get; init; }
    public IReadOnlyList<NamedRef> CanaryHosts { get; init; } = [];
    public int MaxFailures { get; init; }
    public bool MaxFailuresIsPercent { get; init; }
    public RebootPolicy RebootPolicy { get; init; }
    public int HostTimeoutMinutes { get; init; }
    public int RequiredApprovals { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? SubmittedAt { get; init; }
    public DateTimeOffset? ApprovalExpiresAt { get; init; }

    /// <summary>The revision the stored manifest was made for; null when no dry run has run.</summary>
    public int? ManifestRevision { get; init; }
    public DateTimeOffset? ManifestCheckedAt { get; init; }

    public IReadOnlyList<PlanDecisionRow> Decisions { get; init; } = [];
    public IReadOnlyList<PlanEventRow> Timeline { get; init; } = [];
    public IReadOnlyList<PlanRunRow> Runs { get; init; } = [];

    public bool ManifestIsCurrent => ManifestRevision == Revision;

    /// <summary>Approvals of the current revision.</summary>
    public int CurrentApprovals => Decisions.Count(d => d.Revision == Revision && d.Decision == ApprovalDecision.Approved);
}

/// <summary>One line of the manifest table: one package change on one host, or a host with no change or an error.</summary>
public sealed record ManifestRow(Guid HostId, string Host, string? Package, string? From, string? To, bool RebootExpected, string? Error)
{
    public bool Failed => Error is not null;
}

/// <summary>What the editor offers to choose from.</summary>
public sealed record GroupChoice(Guid Id, string Name, int RequiredApprovals, int Hosts);

public sealed record WindowChoice(Guid Id, string Name, string TimeZoneId, bool Enabled);

/// <summary>What a target set resolves to now: the number of hosts, the first of them, and the approvals it needs.</summary>
public sealed record TargetPreview(int HostCount, IReadOnlyList<NamedRef> Hosts, int RequiredApprovals);
