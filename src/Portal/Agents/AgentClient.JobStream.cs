using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using PatchPortal.Agent.Contracts;

namespace PatchPortal.Portal.Agents;

public sealed partial class AgentClient
{
    /// <summary>Agents' messages are small; a bigger one is a broken or hostile peer.</summary>
    private const int MaxStreamMessageBytes = 1024 * 1024;

    private static readonly TimeSpan StreamConnectTimeout = TimeSpan.FromSeconds(15);

    public async IAsyncEnumerable<AgentJobEvent> FollowJobAsync(AgentEndpoint agent, string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        if (agent.CertificateFingerprint is null)
        {
            yield return new AgentJobStreamLost(new AgentFailure(AgentFailureKind.NotEnrolled, "the host has not enrolled yet"));
            yield break;
        }

        // The socket is pumped on its own task into a channel: the consumer may be slow (a database write per event)
        // and an iterator cannot yield from inside the try/catch that turns socket failures into a result.
        var events = Channel.CreateUnbounded<AgentJobEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = PumpJobStreamAsync(agent, jobId, events.Writer, stop.Token);
        try
        {
            await foreach (var item in events.Reader.ReadAllAsync(cancellationToken))
            {
                yield return item;
                if (item is AgentJobCompleted or AgentJobStreamLost)
                {
                    yield break;
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await pump;
        }
    }

    private async Task PumpJobStreamAsync(AgentEndpoint agent, string jobId, ChannelWriter<AgentJobEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
            socket.Options.SetRequestHeader(RequestIds.Header, Operations.RequestContext.CurrentOrNew());
            var uri = new UriBuilder(new Uri(BaseUri(agent), "api/v1/ws/jobs")) { Scheme = "wss" }.Uri;
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(StreamConnectTimeout);
                await socket.ConnectAsync(uri, connections.For(agent.CertificateFingerprint!), connectTimeout.Token);
            }

            var subscribe = JsonSerializer.SerializeToUtf8Bytes(new WsClientMessage { Type = WsMessageTypes.Subscribe, JobId = jobId }, AgentJson.Options);
            await socket.SendAsync(subscribe, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

            // Subscribed first, then asked: a job that finished before the subscription still completes the stream.
            var current = await GetJobAsync(agent, jobId, cancellationToken);
            if (current.Failure is { } failure)
            {
                events.TryWrite(new AgentJobStreamLost(failure));
                return;
            }

            if (JobStatuses.IsFinal(current.Value!.Status))
            {
                events.TryWrite(new AgentJobCompleted(current.Value));
                return;
            }

            await ReadJobStreamAsync(socket, jobId, events, cancellationToken);
            await CloseQuietlyAsync(socket);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The consumer stopped following.
        }
        catch (OperationCanceledException)
        {
            events.TryWrite(Lost(agent, AgentFailureKind.Timeout, $"the job stream did not open within {StreamConnectTimeout.TotalSeconds:0} s"));
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or JsonException or IOException)
        {
            events.TryWrite(Lost(agent, AgentFailureKind.Unreachable, $"job stream: {ex.Message}"));
        }
        finally
        {
            events.TryComplete();
        }
    }

    private AgentJobStreamLost Lost(AgentEndpoint agent, AgentFailureKind kind, string message)
    {
        LogFailed(logger, agent.Name, kind, message);
        return new AgentJobStreamLost(new AgentFailure(kind, message));
    }

    private static async Task ReadJobStreamAsync(ClientWebSocket socket, string jobId, ChannelWriter<AgentJobEvent> events, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        if (buffer.Length >= MaxStreamMessageBytes)
                        {
                            throw new WebSocketException("the agent sent a message larger than 1 MiB");
                        }

                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, count).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    throw new WebSocketException($"the agent closed the job stream ({socket.CloseStatusDescription ?? socket.CloseStatus?.ToString() ?? "no reason"})");
                }

                var message = JsonSerializer.Deserialize<WsServerMessage>(buffer.AsSpan(0, count), AgentJson.Options);
                if (message is not null && Translate(message, jobId) is { } item)
                {
                    events.TryWrite(item);
                    if (item is AgentJobCompleted)
                    {
                        return;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static AgentJobEvent? Translate(WsServerMessage message, string jobId)
    {
        switch (message.Type)
        {
            case WsMessageTypes.JobStatus:
                var status = message.Payload.Deserialize<JobStatusPayload>(AgentJson.Options);
                return status is not null && status.JobId == jobId ? new AgentJobStatusChanged(status) : null;
            case WsMessageTypes.JobLog:
                var log = message.Payload.Deserialize<JobLogPayload>(AgentJson.Options);
                return log is not null && log.JobId == jobId ? new AgentJobOutput(log.Line) : null;
            case WsMessageTypes.JobComplete:
                var detail = message.Payload.Deserialize<JobDetail>(AgentJson.Options);
                return detail is not null && detail.JobId == jobId ? new AgentJobCompleted(detail) : null;
            case WsMessageTypes.Error:
                var error = message.Payload.Deserialize<WsErrorPayload>(AgentJson.Options);
                return new AgentJobStreamLost(new AgentFailure(AgentFailureKind.AgentError, $"{error?.Code}: {error?.Message}", error?.Code));
            default:
                return null;
        }
    }

    private static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        if (socket.State != WebSocketState.Open)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // Closing is a courtesy; the job already completed.
        }
    }
}
