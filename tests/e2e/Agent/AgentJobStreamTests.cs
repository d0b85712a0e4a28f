using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Agent;

/// <summary>The WebSocket job stream and job records across restarts, over real mTLS.</summary>
public sealed class AgentJobStreamTests : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private AgentProcess _agent = null!;

    public async Task InitializeAsync() =>
        _agent = await AgentProcess.StartAsync(_pki, "127.0.0.8", settings: new JsonObject { ["Simulated"] = new JsonObject { ["JobDurationMs"] = 1500 } });

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _pki.Dispose();
    }

    [Fact]
    public async Task Stream_DeliversStatusLogAndCompletion_ForSubscribedJob()
    {
        using var client = _agent.CreateClient(_pki.PortalClient);
        using var socket = await _agent.ConnectWebSocketAsync(_pki.PortalClient);
        await SendAsync(socket, """{"action":"subscribe"}""");
        await SendAsync(socket, """{"type":"ping"}""");
        Assert.Equal("pong", (await ReceiveUntilAsync(socket, m => m.GetProperty("type").GetString() == "pong")).GetProperty("type").GetString());

        var patch = (await client.GetEnvelopeAsync("api/v1/patches?sort=name&limit=1")).Data.GetProperty("patches")[0].GetProperty("name").GetString();
        var accepted = await client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/patches/apply", $$"""{"patches":["{{patch}}"]}""");
        var jobId = accepted.Data.GetProperty("job_id").GetString();

        var seen = new List<string>();
        var complete = await ReceiveUntilAsync(socket, m =>
        {
            var type = m.GetProperty("type").GetString()!;
            if (m.GetProperty("payload").TryGetProperty("job_id", out var id) && id.GetString() == jobId)
            {
                seen.Add(type);
            }

            return type == "job_complete" && m.GetProperty("payload").GetProperty("job_id").GetString() == jobId;
        });

        Assert.Contains("job_status", seen);
        Assert.Contains("job_log", seen);
        Assert.Equal("completed", complete.GetProperty("payload").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Stream_AnswersErrorAndStaysOpen_WhenMessageIsMalformed()
    {
        using var socket = await _agent.ConnectWebSocketAsync(_pki.PortalClient);

        await SendAsync(socket, "{not json");
        var error = await ReceiveUntilAsync(socket, m => m.GetProperty("type").GetString() == "error");
        await SendAsync(socket, """{"type":"ping"}""");
        var pong = await ReceiveUntilAsync(socket, m => m.GetProperty("type").GetString() == "pong");

        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.Equal("pong", pong.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Job_ShowsInterrupted_WhenAgentWasKilledWhileItRan()
    {
        await using var slow = await AgentProcess.StartAsync(_pki, "127.0.0.9", settings: new JsonObject { ["Simulated"] = new JsonObject { ["JobDurationMs"] = 600_000 } });
        using var client = slow.CreateClient(_pki.PortalClient);
        var patch = (await client.GetEnvelopeAsync("api/v1/patches?sort=name&limit=1")).Data.GetProperty("patches")[0].GetProperty("name").GetString();
        var jobId = (await client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/patches/apply", $$"""{"patches":["{{patch}}"]}""")).Data.GetProperty("job_id").GetString();
        await Wait.UntilAsync(async () => (await client.GetEnvelopeAsync($"api/v1/jobs/{jobId}")).Data.GetProperty("status").GetString() == "running",
            TimeSpan.FromSeconds(30), "the job to run");

        await slow.RestartAsync();

        using var after = slow.CreateClient(_pki.PortalClient);
        var job = await after.GetEnvelopeAsync($"api/v1/jobs/{jobId}");
        Assert.Equal(HttpStatusCode.OK, job.Status);
        Assert.Equal("interrupted", job.Data.GetProperty("status").GetString());
    }

    [Fact]
    public async Task RunningJob_IsCancelled_WhenDeleted()
    {
        await using var slow = await AgentProcess.StartAsync(_pki, "127.0.0.10", settings: new JsonObject { ["Simulated"] = new JsonObject { ["JobDurationMs"] = 600_000 } });
        using var client = slow.CreateClient(_pki.PortalClient);
        var patch = (await client.GetEnvelopeAsync("api/v1/patches?sort=name&limit=1")).Data.GetProperty("patches")[0].GetProperty("name").GetString();
        var jobId = (await client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/patches/apply", $$"""{"patches":["{{patch}}"]}""")).Data.GetProperty("job_id").GetString();
        await Wait.UntilAsync(async () => (await client.GetEnvelopeAsync($"api/v1/jobs/{jobId}")).Data.GetProperty("status").GetString() == "running",
            TimeSpan.FromSeconds(30), "the job to run");

        var refusedReboot = await client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/system/reboot", """{"delay_seconds":0}""");
        var cancel = await client.SendEnvelopeAsync(HttpMethod.Delete, $"api/v1/jobs/{jobId}");
        var job = await client.WaitForJobAsync(jobId!);

        Assert.Equal(HttpStatusCode.Conflict, refusedReboot.Status);
        Assert.Equal("running", cancel.Data.GetProperty("previous_status").GetString());
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Requests_Return429WithRetryAfter_WhenClientExceedsItsRate()
    {
        await using var limited = await AgentProcess.StartAsync(_pki, "127.0.0.11", settings: new JsonObject { ["Limits"] = new JsonObject { ["RequestsPerMinute"] = 5 } });
        using var client = limited.CreateClient(_pki.PortalClient);

        AgentResponse? refused = null;
        for (var i = 0; i < 20 && refused is null; i++)
        {
            var response = await client.GetEnvelopeAsync("api/v1/system/info");
            refused = response.Status == HttpStatusCode.TooManyRequests ? response : null;
        }

        Assert.NotNull(refused);
        Assert.Equal("RATE_LIMIT_EXCEEDED", refused.ErrorCode);
        Assert.True(refused.Error.GetProperty("details").GetProperty("retry_after_seconds").GetInt32() >= 1);
        Assert.NotEmpty(refused.Headers.GetValues("Retry-After"));
    }

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    private static async Task<JsonElement> ReceiveUntilAsync(ClientWebSocket socket, Func<JsonElement, bool> predicate)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, timeout.Token);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"the agent closed the stream: {result.CloseStatus} {result.CloseStatusDescription}");
            }

            var element = JsonDocument.Parse(message.ToArray()).RootElement.Clone();
            if (predicate(element))
            {
                return element;
            }
        }
    }
}
