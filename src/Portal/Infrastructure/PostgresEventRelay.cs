using System.Threading.Channels;
using Npgsql;

namespace PatchPortal.Portal.Infrastructure;

/// <summary>
/// Carries every <see cref="EventHub{TChange}"/>'s changes between portal nodes that share one PostgreSQL database:
/// a publication becomes <c>pg_notify(channel, origin|json)</c>, and one connection per node LISTENs on every hub's
/// channel and hands what other nodes sent to the local hub (its own notifications it skips: they were delivered
/// locally at once). Publishing never waits for the database: changes queue and a sender drains them in order.
/// A lost connection is reopened with back-off; what was sent while it was down is not replayed (pages re-read the
/// database on the next change, and on load).
/// </summary>
public sealed partial class PostgresEventRelay : BackgroundService, IEventRelay
{
    /// <summary>PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.</summary>
    public const int MaxPayloadBytes = 7900;

    private readonly Channel<(string Channel, string Payload)> _outbox =
        Channel.CreateUnbounded<(string, string)>(new UnboundedChannelOptions { SingleReader = true });

    private readonly NpgsqlDataSource _dataSource;
    private readonly Dictionary<string, IRelayedEventHub> _hubs;
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private readonly ILogger<PostgresEventRelay> _logger;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PostgresEventRelay(string connectionString, IEnumerable<IRelayedEventHub> hubs, ILogger<PostgresEventRelay> logger)
    {
        ArgumentNullException.ThrowIfNull(hubs);
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // The listening connection idles for long: keepalives notice a dead server or network.
            KeepAlive = 15,
            ApplicationName = "patchportal-events",
        };
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _hubs = hubs.DistinctBy(h => h.Channel).ToDictionary(h => h.Channel, StringComparer.Ordinal);
        _logger = logger;
        foreach (var hub in _hubs.Values)
        {
            hub.AttachRelay(this);
        }
    }

    /// <summary>Completes once this node LISTENs on every channel (tests wait for it; publishing does not).</summary>
    public Task Listening => _listening.Task;

    public void Send(string channel, string payload)
    {
        var message = _origin + "|" + payload;
        if (System.Text.Encoding.UTF8.GetByteCount(message) > MaxPayloadBytes)
        {
            LogTooLarge(_logger, channel);
            return;
        }

        _outbox.Writer.TryWrite((channel, message));
    }

    public override void Dispose()
    {
        base.Dispose();
        _dataSource.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(SendAsync(stoppingToken), ListenAsync(stoppingToken));

    private async Task SendAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (channel, payload) in _outbox.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await using var command = _dataSource.CreateCommand("SELECT pg_notify(@channel, @payload)");
                    command.Parameters.AddWithValue("channel", channel);
                    command.Parameters.AddWithValue("payload", payload);
                    await command.ExecuteNonQueryAsync(stoppingToken);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
                {
                    // The other nodes miss this one change; local subscribers already have it.
                    LogSendFailed(_logger, e, channel);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += OnNotification;
                foreach (var channel in _hubs.Keys)
                {
                    await using var listen = new NpgsqlCommand($"LISTEN \"{channel}\"", connection);
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                LogListening(_logger, _hubs.Count);
                _listening.TrySetResult();
                delay = TimeSpan.FromMilliseconds(250);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or IOException)
            {
                LogListenFailed(_logger, e, delay);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(15).Ticks));
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        var separator = e.Payload.IndexOf('|', StringComparison.Ordinal);
        if (separator <= 0 || !_hubs.TryGetValue(e.Channel, out var hub))
        {
            return;
        }

        if (e.Payload.AsSpan(0, separator).SequenceEqual(_origin))
        {
            return; // ours: delivered locally when published
        }

        if (!hub.DeliverRelayed(e.Payload[(separator + 1)..]))
        {
            LogUnreadable(_logger, e.Channel);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Live events: listening on {Channels} channels for the other portal nodes")]
    private static partial void LogListening(ILogger logger, int channels);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live events: listening failed; trying again in {Delay}")]
    private static partial void LogListenFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live events: a change on {Channel} could not be sent to the other nodes")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live events: a change on {Channel} is too large to send to the other nodes")]
    private static partial void LogTooLarge(ILogger logger, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live events: an unreadable change arrived on {Channel}")]
    private static partial void LogUnreadable(ILogger logger, string channel);
}
