using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using PatchPortal.Agent.Contracts;

namespace PatchPortal.Agent.Jobs;

/// <summary>Fans job events out to subscribers (WebSocket connections), each through its own bounded buffer.</summary>
/// <remarks>
/// Publishing never waits: a subscriber whose buffer is full is dropped (its <see cref="JobSubscription.Dropped"/>
/// fires and the connection closes with "too slow"), so one slow client never stalls the others or the job.
/// </remarks>
public sealed class JobEventHub(ILogger<JobEventHub> logger)
{
    /// <summary>Messages a subscriber may fall behind before it is dropped.</summary>
    public const int DefaultCapacity = 1024;

    private readonly ConcurrentDictionary<long, JobSubscription> _subscribers = new();
    private long _nextId;

    public int SubscriberCount => _subscribers.Count;

    public JobSubscription Subscribe(int capacity = DefaultCapacity)
    {
        var subscription = new JobSubscription(this, Interlocked.Increment(ref _nextId), capacity);
        _subscribers[subscription.Id] = subscription;
        return subscription;
    }

    /// <summary>Sends <c>{"type": type, "payload": payload}</c> to every subscriber watching <paramref name="jobId"/>.</summary>
    public void Publish<T>(string jobId, string type, T payload)
    {
        if (_subscribers.IsEmpty)
        {
            return;
        }

        // Serialised once, however many subscribers there are.
        var message = Serialize(type, payload);
        foreach (var subscriber in _subscribers.Values)
        {
            if (subscriber.Wants(jobId))
            {
                subscriber.TryEnqueue(message);
            }
        }
    }

    public static byte[] Serialize<T>(string type, T payload) =>
        JsonSerializer.SerializeToUtf8Bytes(new OutgoingMessage<T>(type, payload), Json.AgentWireJson.TypeInfo<OutgoingMessage<T>>());

    internal void Remove(JobSubscription subscription) => _subscribers.TryRemove(subscription.Id, out _);

    internal void OnDropped(JobSubscription subscription)
    {
        Remove(subscription);
        logger.SubscriberTooSlow(subscription.Id, subscription.Capacity);
    }

    internal sealed record OutgoingMessage<T>(string Type, T Payload);
}

/// <summary>One subscriber's view of the hub: which jobs it watches and the buffer of messages waiting for it.</summary>
public sealed class JobSubscription : IDisposable
{
    private readonly JobEventHub _hub;
    private readonly Channel<byte[]> _channel;
    private readonly CancellationTokenSource _dropped = new();
    private readonly HashSet<string> _jobIds = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();
    private bool _all;
    private int _state; // 0 open, 1 dropped, 2 disposed
    private bool _wasDropped;

    internal JobSubscription(JobEventHub hub, long id, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _hub = hub;
        Id = id;
        Capacity = capacity;
        _channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then answers false instead of discarding anything
        });
    }

    public long Id { get; }

    public int Capacity { get; }

    /// <summary>The serialised messages for this subscriber, in order.</summary>
    public ChannelReader<byte[]> Reader => _channel.Reader;

    /// <summary>Cancelled when the subscriber fell too far behind and was dropped.</summary>
    public CancellationToken Dropped => _dropped.Token;

    /// <summary>True once the subscriber was dropped for being too slow, also after it is disposed.</summary>
    public bool IsDropped => Volatile.Read(ref _wasDropped);

    public void Watch(string jobId)
    {
        lock (_sync)
        {
            _jobIds.Add(jobId);
        }
    }

    public void WatchAll()
    {
        lock (_sync)
        {
            _all = true;
        }
    }

    /// <summary>Stops watching <paramref name="jobId"/>, or everything when it is null.</summary>
    public void Unwatch(string? jobId)
    {
        lock (_sync)
        {
            if (jobId is null)
            {
                _all = false;
                _jobIds.Clear();
            }
            else
            {
                _jobIds.Remove(jobId);
            }
        }
    }

    public bool Wants(string jobId)
    {
        lock (_sync)
        {
            return _all || _jobIds.Contains(jobId);
        }
    }

    /// <summary>Queues a message; when the buffer is full the subscriber is dropped instead (never waits).</summary>
    public bool TryEnqueue(byte[] message)
    {
        if (_channel.Writer.TryWrite(message))
        {
            return true;
        }

        lock (_sync)
        {
            // The state is checked and the token cancelled under the lock so that Dispose cannot dispose it in between.
            if (_state != 0)
            {
                return false;
            }

            _state = 1;
            Volatile.Write(ref _wasDropped, true);
            _channel.Writer.TryComplete();
            _dropped.Cancel();
        }

        _hub.OnDropped(this);
        return false;
    }

    public void Dispose()
    {
        lock (_sync)
        {
            if (_state == 2)
            {
                return;
            }

            _state = 2;
            _channel.Writer.TryComplete();
            _dropped.Dispose();
        }

        _hub.Remove(this);
    }
}
