using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PatchPortal.Portal.Infrastructure;

/// <summary>
/// Fan-out of changes to every circuit that shows them. Components subscribe in OnInitialized, call
/// InvokeAsync(StateHasChanged) from the handler and dispose the subscription in Dispose. Each feature derives a
/// named hub (HostEventHub, PlanEventHub, ...) so that it is registered and injected by its own type.
/// A change is delivered to this process's subscribers at once; when the portal runs as several nodes on PostgreSQL
/// an <see cref="IEventRelay"/> also carries it to the other nodes, whose hubs deliver it to their subscribers.
/// </summary>
public abstract class EventHub<TChange> : IRelayedEventHub
{
    private readonly Lock _gate = new();
    private Action<TChange>[] _handlers = [];
    private IEventRelay? _relay;

    /// <summary>The name changes of this hub travel under between nodes (a PostgreSQL NOTIFY channel).</summary>
    public string Channel => "patchportal_" + GetType().Name.ToLowerInvariant();

    public IDisposable Subscribe(Action<TChange> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }

        return new Subscription(this, handler);
    }

    /// <summary>Calls every subscriber of this node, then hands the change to the relay (if any) for the other nodes.</summary>
    public void Publish(TChange change)
    {
        Deliver(change);
        Volatile.Read(ref _relay)?.Send(Channel, JsonSerializer.Serialize(change));
    }

    void IRelayedEventHub.AttachRelay(IEventRelay relay) => Volatile.Write(ref _relay, relay);

    bool IRelayedEventHub.DeliverRelayed(string payload)
    {
        TChange? change;
        try
        {
            change = JsonSerializer.Deserialize<TChange>(payload);
        }
        catch (JsonException)
        {
            return false;
        }

        if (change is null)
        {
            return false;
        }

        Deliver(change);
        return true;
    }

    /// <summary>Calls every subscriber; one that throws does not stop the others.</summary>
    private void Deliver(TChange change)
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

/// <summary>A hub whose changes can cross portal nodes: the relay attaches itself and hands in what other nodes sent.</summary>
public interface IRelayedEventHub
{
    string Channel { get; }

    void AttachRelay(IEventRelay relay);

    /// <summary>Delivers a change another node published (its JSON form) to this node's subscribers; false when unreadable.</summary>
    bool DeliverRelayed(string payload);
}

/// <summary>Carries a hub's changes to the other portal nodes (<see cref="PostgresEventRelay"/>). Never blocks the publisher.</summary>
public interface IEventRelay
{
    void Send(string channel, string payload);
}

public static class EventHubRegistration
{
    /// <summary>Registers a hub once as a singleton of its own type and as a hub the relay between nodes can carry.</summary>
    public static IServiceCollection AddEventHub<THub>(this IServiceCollection services)
        where THub : class, IRelayedEventHub
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(THub)))
        {
            return services;
        }

        services.TryAddSingleton<THub>();
        services.AddSingleton<IRelayedEventHub>(sp => sp.GetRequiredService<THub>());
        return services;
    }
}
