using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Runs;

/// <summary>What the run list filters by (both in the URL: /runs?state=Running&amp;plan=…).</summary>
public sealed record RunFilter(RunState? State = null, Guid? PlanId = null);

/// <summary>A column of the run list and its direction.</summary>
public sealed record RunSort(string? Column, bool Descending);

public sealed record RunListPage(IReadOnlyList<RunRow> Items, int Total);

/// <summary>One run in the list.</summary>
public sealed record RunRow(
    Guid Id,
    Guid PlanId,
    string PlanName,
    DateTimeOffset OccurrenceStart,
    RunState State,
    string? StateReason,
    bool PauseRequested,
    int Hosts,
    int Succeeded,
    int Failed,
    int Skipped,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);

public sealed record PlanOption(Guid Id, string Name);

/// <summary>A run with its plan and every host, as the run page shows it.</summary>
public sealed record RunDetail(
    Guid Id,
    Guid PlanId,
    string PlanName,
    PlanTiming Timing,
    string? WindowName,
    string? WindowTimeZone,
    DateTimeOffset OccurrenceStart,
    DateTimeOffset OccurrenceEnd,
    DateTimeOffset CutoffAt,
    RunState State,
    string? StateReason,
    bool PauseRequested,
    string? CancelledBy,
    int CurrentBatch,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    RebootPolicy RebootPolicy,
    IReadOnlyList<HostRunRow> Hosts)
{
    public int Batches => Hosts.Count == 0 ? 0 : Hosts.Max(h => h.BatchNumber) + 1;

    public int Count(params HostRunState[] states) => Hosts.Count(h => states.Contains(h.State));

    /// <summary>Cancel was asked for and the engine is letting running hosts finish.</summary>
    public bool Cancelling => CancelledBy is not null && State is RunState.Running or RunState.Paused;
}

/// <summary>One host's part in the run.</summary>
public sealed record HostRunRow(
    long Id,
    Guid HostId,
    string HostName,
    int BatchNumber,
    bool IsCanary,
    HostRunState State,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    int ProgressPercent,
    string? Message,
    string? Error,
    string? AgentJobId,
    string? RollbackJobId,
    string? KernelAfter,
    string? OutputExcerpt,
    IReadOnlyList<ManifestChange> Changes,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt)
{
    /// <summary>A finished patch job that changed packages, not rolled back yet.</summary>
    public bool CanRollBack => State is HostRunState.Succeeded or HostRunState.Failed && AgentJobId is not null && RollbackJobId is null && Changes.Count > 0;
}
