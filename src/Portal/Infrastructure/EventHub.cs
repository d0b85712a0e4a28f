namespace PatchPortal.Portal.Infrastructure;

/// <summary>
/// In-process fan-out of changes to every circuit that shows them. Components subscribe in OnInitialized, call
/// InvokeAsync(StateHasChanged) from the handler and dispose the subscription in Dispose. Each feature derives a
/// named hub (HostEventHub, PlanEventHub, ...) so that it is registered and injected by its own type.
/// </summary>
public abstract class EventHub<TChange>
{
    private readonly Lock _gate = new();
    private Action<TChange>[] _handlers = [];

    public IDisposable Subscribe(Action<TChange> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }

        return new Subscription(this, handler);
    }

    /// <summary>Calls every subscriber; one that throws does not stop the others.</summary>
    public void Publish(TChange change)
    {
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            try
            {
                handler(change);
            }
#pragma warning disable CA1031 // A broken circuit must not stop the job or save that publishes, nor the other browsers.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    private void Unsubscribe(Action<TChange> handler)
    {
        lock (_gate)
        {
            _handlers = _handlers.Where(h => h != handler).ToArray();
        }
    }

    private sealed class Subscription(EventHub<TChange> hub, Action<TChange> handler) : IDisposable
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
