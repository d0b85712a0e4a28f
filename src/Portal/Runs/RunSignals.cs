using System.Collections.Concurrent;

namespace PatchPortal.Portal.Runs;

/// <summary>
/// Wakes a run's executor on this node when an operator pauses, resumes, cancels or retries, instead of waiting
/// for its next tick (the executor still re-reads the database on every tick, which is how other nodes' actions
/// reach it).
/// </summary>
public sealed class RunSignals
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _next = new();

    public void Signal(Guid runId)
    {
        if (_next.TryRemove(runId, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>
    /// A task that completes at the next signal for the run. The executor takes it before it reads the run, so a
    /// signal sent while it reads is not lost.
    /// </summary>
    public Task Next(Guid runId) =>
        _next.GetOrAdd(runId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
}
