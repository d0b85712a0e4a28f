using System.Globalization;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Runs;

/// <summary>One host's place in a run's rollout.</summary>
public sealed record BatchSlot(Guid HostId, string HostName, int BatchNumber, bool IsCanary);

/// <summary>
/// The rollout and halting rules of a run, as pure functions: batching, the failure budget, when no new host may
/// start, retry back-off, reboot decisions and the run's end state.
/// </summary>
public static class RunRules
{
    /// <summary>
    /// Orders hosts into batches: the plan's canaries (those among the targets) alone in batch 0, then the others by
    /// name in batches of <paramref name="batchSize"/> hosts, or that percent of all targeted hosts (rounded down,
    /// at least one). Without canaries the first batch of the others is batch 0.
    /// </summary>
    public static IReadOnlyList<BatchSlot> Assign(IEnumerable<(Guid Id, string Name)> hosts, IReadOnlyCollection<Guid> canaryIds, int batchSize, bool batchSizeIsPercent)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(canaryIds);
        var ordered = hosts.DistinctBy(h => h.Id).OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ThenBy(h => h.Id).ToList();
        var canaries = ordered.Where(h => canaryIds.Contains(h.Id)).ToList();
        var others = ordered.Where(h => !canaryIds.Contains(h.Id)).ToList();
        var size = BatchSize(ordered.Count, batchSize, batchSizeIsPercent);
        var first = canaries.Count > 0 ? 1 : 0;
        return
        [
            .. canaries.Select(h => new BatchSlot(h.Id, h.Name, 0, true)),
            .. others.Select((h, i) => new BatchSlot(h.Id, h.Name, first + (i / size), false)),
        ];
    }

    /// <summary>Hosts per batch: the number, or the percent of <paramref name="totalHosts"/> rounded down, never below one.</summary>
    public static int BatchSize(int totalHosts, int batchSize, bool isPercent) =>
        Math.Max(1, isPercent ? totalHosts * batchSize / 100 : batchSize);

    /// <summary>How many failed hosts a run tolerates: the number, or the percent of all its hosts rounded down.</summary>
    public static int FailureLimit(int totalHosts, int maxFailures, bool isPercent) =>
        isPercent ? totalHosts * maxFailures / 100 : maxFailures;

    /// <summary>A host counts as failed when it failed or stayed unreachable.</summary>
    public static bool CountsAsFailure(HostRunState state) => state is HostRunState.Failed or HostRunState.Missed;

    public static bool IsFinal(HostRunState state) =>
        state is HostRunState.Succeeded or HostRunState.Failed or HostRunState.Missed or HostRunState.Skipped or HostRunState.RolledBack;

    /// <summary>
    /// Why the run's failures forbid starting another host: a failed canary, or more failures than the limit; null
    /// while the budget holds.
    /// </summary>
    public static string? HaltReason(IReadOnlyCollection<HostRun> hosts, int maxFailures, bool isPercent)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        if (hosts.FirstOrDefault(h => h.IsCanary && CountsAsFailure(h.State)) is { } canary)
        {
            return $"Halted: canary host {canary.HostName} {(canary.State == HostRunState.Missed ? "was unreachable" : "failed")}.";
        }

        var failures = hosts.Count(h => CountsAsFailure(h.State));
        var limit = FailureLimit(hosts.Count, maxFailures, isPercent);
        if (failures <= limit)
        {
            return null;
        }

        var allowed = isPercent
            ? string.Create(CultureInfo.InvariantCulture, $"{maxFailures}% of {hosts.Count} hosts = {limit}")
            : limit.ToString(CultureInfo.InvariantCulture);
        return $"Halted: {failures} {(failures == 1 ? "host" : "hosts")} failed, more than the plan allows ({allowed}).";
    }

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1: the base doubled per attempt, at most the maximum.</summary>
    public static TimeSpan RetryDelay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ticks = Math.Min(baseDelay.Ticks * Math.Pow(2, exponent), maxDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>
    /// When a host whose attempt failed transiently is tried next, or null when that would fall at or after the
    /// cutoff (the host then ends Missed).
    /// </summary>
    public static DateTimeOffset? NextAttempt(int attempt, DateTimeOffset now, DateTimeOffset cutoff, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        var next = now + RetryDelay(attempt, baseDelay, maxDelay);
        return next < cutoff ? next : null;
    }

    /// <summary>Whether the plan's policy reboots a host after its patch job.</summary>
    public static bool NeedsReboot(RebootPolicy policy, bool? jobSaysRebootRequired, bool healthSaysRebootRequired) => policy switch
    {
        RebootPolicy.Never => false,
        RebootPolicy.Always => true,
        _ => jobSaysRebootRequired == true || healthSaysRebootRequired,
    };

    /// <summary>The run's end state from its hosts: all succeeded, none did, or some; a cancelled run stays cancelled.</summary>
    public static RunState EndState(IReadOnlyCollection<HostRun> hosts, bool cancelled)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        if (cancelled)
        {
            return RunState.Cancelled;
        }

        var succeeded = hosts.Count(h => h.State == HostRunState.Succeeded);
        return hosts.Count > 0 && succeeded == hosts.Count ? RunState.Succeeded
            : succeeded == 0 ? RunState.Failed
            : RunState.PartiallyFailed;
    }

    /// <summary>What a finished run says when no halt, cutoff or cancel explains it.</summary>
    public static string? Summary(IReadOnlyCollection<HostRun> hosts)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        if (hosts.Count == 0)
        {
            return "No host matched the plan's targets.";
        }

        var failed = hosts.Count(h => h.State == HostRunState.Failed);
        var missed = hosts.Count(h => h.State == HostRunState.Missed);
        var skipped = hosts.Count(h => h.State == HostRunState.Skipped);
        var parts = new List<string>();
        if (failed > 0)
        {
            parts.Add($"{failed} failed");
        }

        if (missed > 0)
        {
            parts.Add($"{missed} unreachable");
        }

        if (skipped > 0)
        {
            parts.Add($"{skipped} skipped");
        }

        return parts.Count == 0 ? null : $"{string.Join(", ", parts)} of {hosts.Count} hosts.";
    }

    /// <summary>The plan state that mirrors a run's end state.</summary>
    public static PlanState PlanStateFor(RunState state) => state switch
    {
        RunState.Succeeded => PlanState.Succeeded,
        RunState.PartiallyFailed => PlanState.PartiallyFailed,
        RunState.Cancelled => PlanState.Cancelled,
        _ => PlanState.Failed,
    };

    public static bool IsFinal(RunState state) => state is RunState.Succeeded or RunState.PartiallyFailed or RunState.Failed or RunState.Cancelled;
}
