namespace PatchPortal.Portal.Windows;

/// <summary>A window or blackout was created, changed or deleted.</summary>
public sealed record CalendarChanged(Guid Id, string What);

/// <summary>
/// In-process fan-out of window and blackout changes, so open lists and calendars redraw without a reload.
/// Components subscribe in OnInitialized, call InvokeAsync from the handler and dispose the subscription.
/// </summary>
public sealed class CalendarChangeHub
{
    private readonly Lock _gate = new();
    private Action<CalendarChanged>[] _handlers = [];

    public IDisposable Subscribe(Action<CalendarChanged> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }

        return new Subscription(this, handler);
    }

    /// <summary>Calls every subscriber; one that throws does not stop the others.</summary>
    public void Publish(CalendarChanged change)
    {
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            try
            {
                handler(change);
            }
            catch (Exception)
            {
                // A broken circuit must not stop the change that is being saved or the other browsers.
            }
        }
    }

    private void Unsubscribe(Action<CalendarChanged> handler)
    {
        lock (_gate)
        {
            _handlers = _handlers.Where(h => h != handler).ToArray();
        }
    }

    private sealed class Subscription(CalendarChangeHub hub, Action<CalendarChanged> handler) : IDisposable
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
