using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Contracts;

namespace PatchPortal.Agent.Jobs;

/// <summary>The <c>/api/v1/ws/jobs</c> stream: clients subscribe to jobs and receive their status, log and completion.</summary>
/// <remarks>
/// One task receives, one task sends. Everything the server sends (events, pongs, errors) goes through the
/// subscriber's bounded buffer in the hub, so only the send task ever writes to the socket (a WebSocket allows one
/// send at a time) and a client that stops reading is dropped rather than buffered without end.
/// </remarks>
public static class JobsWebSocket
{
    public const string Path = "/api/v1/ws/jobs";

    /// <summary>The close reason sent to a subscriber that fell too far behind.</summary>
    public const string TooSlowReason = "too slow";

    /// <summary>How long a dropped subscriber gets to take the close frame before the connection is aborted.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    internal static async Task HandleAsync(
        HttpContext context, JobManager manager, JobEventHub hub, IOptions<JobsWebSocketOptions> options, ILoggerFactory loggerFactory)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var logger = loggerFactory.CreateLogger(typeof(JobsWebSocket));
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var settings = options.Value;
        var subscription = hub.Subscribe(settings.SubscriberBuffer);
        var subscriberId = subscription.Id;
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        // A client that is too slow to read events may be too slow to read the close frame as well: give it a moment.
        var onDropped = subscription.Dropped.Register(() => abort.CancelAfter(CloseGrace));

        var sending = SendAsync(socket, subscription, abort.Token);
        var reason = "closed by the client";
        try
        {
            await ReceiveAsync(socket, subscription, manager, settings.MaxMessageBytes, abort.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            reason = subscription.IsDropped ? TooSlowReason : ex.Message;
        }
        finally
        {
            // Ends the send task: it drains nothing more and closes the socket.
            onDropped.Dispose();
            subscription.Dispose();
        }

        try
        {
            await sending;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            reason = ex.Message;
        }

        logger.WebSocketEnded(subscriberId, reason);
    }

    private static async Task SendAsync(WebSocket socket, JobSubscription subscription, CancellationToken cancellationToken)
    {
        var dropped = false;
        while (await subscription.Reader.WaitToReadAsync(cancellationToken))
        {
            if (subscription.IsDropped)
            {
                dropped = true;
                break;
            }

            while (!subscription.IsDropped && subscription.Reader.TryRead(out var message))
            {
                await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
        }

        dropped |= subscription.IsDropped;
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(
                dropped ? WebSocketCloseStatus.PolicyViolation : WebSocketCloseStatus.NormalClosure,
                dropped ? TooSlowReason : null,
                cancellationToken);
        }
    }

    private static async Task ReceiveAsync(
        WebSocket socket, JobSubscription subscription, JobManager manager, int maxMessageBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[maxMessageBytes];
        while (true)
        {
            var count = 0;
            var tooLarge = false;
            ValueWebSocketReceiveResult result;
            do
            {
                if (count == buffer.Length)
                {
                    // Read and discard the rest: the client gets an error, not a closed connection.
                    tooLarge = true;
                    count = 0;
                }

                result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                count += result.Count;
            }
            while (!result.EndOfMessage);

            if (tooLarge)
            {
                Reply(subscription, ErrorCodes.PayloadTooLarge, $"Messages are limited to {maxMessageBytes} bytes.");
            }
            else if (result.MessageType != WebSocketMessageType.Text)
            {
                Reply(subscription, ErrorCodes.InvalidRequest, "Only text (JSON) messages are understood.");
            }
            else
            {
                Handle(buffer.AsSpan(0, count), subscription, manager);
            }
        }
    }

    private static void Handle(ReadOnlySpan<byte> json, JobSubscription subscription, JobManager manager)
    {
        WsClientMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(json, Json.AgentWireJson.TypeInfo<WsClientMessage>());
        }
        catch (JsonException ex)
        {
            Reply(subscription, ErrorCodes.InvalidRequest, $"Malformed message: {ex.Message}");
            return;
        }

        if (message is null)
        {
            Reply(subscription, ErrorCodes.InvalidRequest, "A message must be a JSON object.");
            return;
        }

        string? jobId = null;
        if (message.JobId is not null)
        {
            if (!Guid.TryParse(message.JobId, out var parsed))
            {
                Reply(subscription, ErrorCodes.InvalidRequest, "job_id must be a job id (a UUID).");
                return;
            }

            jobId = parsed.ToString("D");
        }

        switch (message.Tag)
        {
            case WsMessageTypes.Subscribe when jobId is null:
            case WsMessageTypes.SubscribeAll:
                subscription.WatchAll();
                break;
            case WsMessageTypes.Subscribe:
                if (!manager.Watch(subscription, jobId))
                {
                    Reply(subscription, ErrorCodes.JobNotFound, $"Job {jobId} not found.");
                }

                break;
            case WsMessageTypes.Unsubscribe:
                subscription.Unwatch(jobId);
                break;
            case WsMessageTypes.Ping:
                subscription.TryEnqueue(JobEventHub.Serialize(WsMessageTypes.Pong, new PongPayload(DateTimeOffset.UtcNow)));
                break;
            case null:
                Reply(subscription, ErrorCodes.InvalidRequest, "A message needs a \"type\" (or \"action\").");
                break;
            default:
                Reply(subscription, ErrorCodes.InvalidRequest, $"Unknown message type: {message.Tag}");
                break;
        }
    }

    private static void Reply(JobSubscription subscription, string code, string message) =>
        subscription.TryEnqueue(JobEventHub.Serialize(WsMessageTypes.Error, new WsErrorPayload(code, message)));

    internal sealed record PongPayload(DateTimeOffset Timestamp);
}

/// <summary>Limits of the job stream. Code defaults; tests shrink them.</summary>
public sealed class JobsWebSocketOptions
{
    /// <summary>Messages a client may fall behind before it is disconnected with "too slow".</summary>
    public int SubscriberBuffer { get; set; } = JobEventHub.DefaultCapacity;

    /// <summary>Client messages are small commands; anything larger is refused with an error.</summary>
    public int MaxMessageBytes { get; set; } = 4 * 1024;

    /// <summary>Protocol pings keep idle connections (and the proxies between) alive.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A peer that answers no ping within this time is gone.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
