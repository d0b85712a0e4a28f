using System.Collections.Concurrent;

namespace PatchPortal.Portal.Plans;

/// <summary>A dry run under way: how many target hosts have answered out of how many.</summary>
public sealed record DryRunProgress(Guid PlanId, int Done, int Total, string StartedBy, DateTimeOffset StartedAt);

/// <summary>
/// The dry runs under way on this portal node (one per plan at a time), and their progress for the plan pages.
/// In memory on purpose: a dry run lasts seconds to minutes, and one cut short by a restart is simply run again.
/// </summary>
public sealed class DryRunBoard
{
    private readonly ConcurrentDictionary<Guid, DryRunProgress> _running = new();

    public DryRunProgress? Get(Guid planId) => _running.TryGetValue(planId, out var progress) ? progress : null;

    /// <summary>Claims the plan for a dry run; false when one is already under way.</summary>
    internal bool TryStart(DryRunProgress progress) => _running.TryAdd(progress.PlanId, progress);

    internal DryRunProgress Advance(Guid planId) =>
        _running.AddOrUpdate(planId, _ => throw new InvalidOperationException($"No dry run of plan {planId} is under way."), (_, p) => p with { Done = p.Done + 1 });

    internal void Finish(Guid planId) => _running.TryRemove(planId, out _);
}
