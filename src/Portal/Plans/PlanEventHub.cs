namespace PatchPortal.Portal.Plans;

/// <summary>What changed about a plan, for live views (see <see cref="PlanChangeKinds"/>).</summary>
public sealed record PlanChanged(Guid PlanId, string What);

/// <summary>The kinds of <see cref="PlanChanged"/>; other features (runs) may publish their own.</summary>
public static class PlanChangeKinds
{
    public const string Created = "created";
    public const string Edited = "edited";
    public const string State = "state";
    public const string Decision = "decision";
    public const string DryRunProgress = "dry-run-progress";
    public const string DryRunFinished = "dry-run-finished";
}

/// <summary>
/// In-process fan-out of plan changes to every circuit that shows plans (the pattern of
/// <see cref="Hosts.HostEventHub"/>). Components subscribe in OnInitialized, call InvokeAsync(StateHasChanged) from
/// the handler and dispose the subscription in Dispose. The Runs feature publishes here when it moves a plan.
/// </summary>
public sealed class PlanEventHub
{
    private readonly Lock _gate = new();
    private Action<PlanChanged>[] _handlers = [];

    public IDisposable Subscribe(Action<PlanChanged> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }

        return new Subscription(this, handler);
    }

    /// <summary>Calls every subscriber; one that throws does not stop the others.</summary>
    public void Publish(PlanChanged change)
    {
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            try
            {
                handler(change);
            }
            catch (Exception)
            {
                // A broken circuit must not stop the writer or the other browsers.
            }
        }
    }

    private void Unsubscribe(Action<PlanChanged> handler)
    {
        lock (_gate)
        {
            _handlers = _handlers.Where(h => h != handler).ToArray();
        }
    }

    private sealed class Subscription(PlanEventHub hub, Action<PlanChanged> handler) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                hub.Unsubscribe(handler);
            }
        }
    }
}
