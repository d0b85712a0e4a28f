namespace PatchPortal.Portal.Hosts;

/// <summary>What changed about a host (health, facts, inventory, groups), for live views.</summary>
public sealed record HostChanged(Guid HostId, string What);

/// <summary>
/// In-process fan-out of host changes to every circuit that shows hosts. Components subscribe in OnInitialized,
/// call InvokeAsync(StateHasChanged) from the handler, and dispose the subscription in Dispose.
/// </summary>
public sealed class HostEventHub
{
    private readonly Lock _gate = new();
    private ImmutableHandlers _handlers = ImmutableHandlers.Empty;

    public IDisposable Subscribe(Action<HostChanged> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _handlers = _handlers.Add(handler);
        }

        return new Subscription(this, handler);
    }

    /// <summary>Calls every subscriber; one that throws does not stop the others.</summary>
    public void Publish(HostChanged change)
    {
        foreach (var handler in _handlers.Items)
        {
            try
            {
                handler(change);
            }
            catch (Exception)
            {
                // A broken circuit must not stop the refresh job or the other browsers.
            }
        }
    }

    private void Unsubscribe(Action<HostChanged> handler)
    {
        lock (_gate)
        {
            _handlers = _handlers.Remove(handler);
        }
    }

    private sealed record ImmutableHandlers(Action<HostChanged>[] Items)
    {
        public static readonly ImmutableHandlers Empty = new([]);

        public ImmutableHandlers Add(Action<HostChanged> handler) => new([.. Items, handler]);

        public ImmutableHandlers Remove(Action<HostChanged> handler) => new(Items.Where(h => h != handler).ToArray());
    }

    private sealed class Subscription(HostEventHub hub, Action<HostChanged> handler) : IDisposable
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
