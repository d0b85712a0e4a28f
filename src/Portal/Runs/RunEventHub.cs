namespace PatchPortal.Portal.Runs;

/// <summary>Something about a run changed: the run itself (<see cref="HostRunId"/> null) or one of its hosts.</summary>
public sealed record RunChanged(Guid RunId, long? HostRunId = null);

/// <summary>
/// In-process fan-out of run and host-run transitions to every circuit that shows runs. Components subscribe in
/// OnInitialized, call InvokeAsync(StateHasChanged) from the handler, and dispose the subscription in Dispose.
/// </summary>
public sealed class RunEventHub
{
    private readonly Lock _gate = new();
    private Action<RunChanged>[] _handlers = [];

    public IDisposable Subscribe(Action<RunChanged> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }

        return new Subscription(this, handler);
    }

    /// <summary>Calls every subscriber; one that throws does not stop the others or the run.</summary>
    public void Publish(RunChanged change)
    {
        foreach (var handler in _handlers)
        {
            try
            {
                handler(change);
            }
            catch (Exception)
            {
                // A broken circuit must not stop the run engine or the other browsers.
            }
        }
    }

    private void Unsubscribe(Action<RunChanged> handler)
    {
        lock (_gate)
        {
            _handlers = _handlers.Where(h => h != handler).ToArray();
        }
    }

    private sealed class Subscription(RunEventHub hub, Action<RunChanged> handler) : IDisposable
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
