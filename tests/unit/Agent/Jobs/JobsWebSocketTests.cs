using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Tests.Unit.Agent.Jobs;

/// <summary>The stream against a real Kestrel on 127.0.0.1 (plain HTTP: the mTLS path is tested with the agent as a whole).</summary>
public sealed class JobsWebSocketTests : IAsyncLifetime
{
    private const int SubscriberBuffer = 16;

    private readonly string _dataDir = Directory.CreateTempSubdirectory("patchportal-ws-").FullName;
    private readonly Gate _gate = new();
    private readonly ErrorCollector _errors = new();
    private readonly FakePackageManager _packages = new();
    private WebApplication? _app;
    private Uri? _uri;

    public async Task InitializeAsync()
    {
        _packages.BeforeApply = async (_, output, ct) =>
        {
            await _gate.PassAsync(ct);
            output.Line("stdout", "Unpacking nginx (1.22.1-9) ...");
            output.Progress(60, "Unpacking");
        };
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(_errors);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agent:DataDir"] = _dataDir,
            // Harmless: a test must never reboot the machine it runs on.
            ["Agent:Reboot:Command:0"] = "/bin/true",
        });
        builder.Services.AddSingleton<IPackageManager>(_packages);
        builder.AddJobs();
        builder.Services.Configure<JobsWebSocketOptions>(o => o.SubscriberBuffer = SubscriberBuffer);
        _app = builder.Build();
        _app.MapJobsWebSocket();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        _uri = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + JobsWebSocket.Path);
    }

    public async Task DisposeAsync()
    {
        _gate.Open();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Directory.Delete(_dataDir, recursive: true);
        // An exception escaping the endpoint is logged by the server, not seen by the client: fail on it here.
        Assert.Empty(_errors.Errors);
    }

    [Fact]
    public async Task Stream_SendsStatusLogAndCompletion_WhenClientSubscribesToAJob()
    {
        var manager = _app!.Services.GetRequiredService<IJobManager>();
        var job = manager.Submit(new JobRequest(JobOperations.Install, new PackageOperation(OperationKind.Install, [new PackageTarget("nginx", "1.22.1-9")])));
        await _gate.Reached.WaitAsync(JobsTestContext.WaitTimeout);
        using var socket = await ConnectAsync();

        await SendAsync(socket, $$"""{"action":"subscribe","job_id":"{{job.JobId}}"}""");
        var snapshot = await ReceiveAsync(socket);
        _gate.Open();

        Assert.Equal(WsMessageTypes.JobStatus, snapshot.Type);
        Assert.Equal(JobStatuses.Running, snapshot.Payload.GetProperty("status").GetString());
        var log = await ReceiveUntilAsync(socket, WsMessageTypes.JobLog);
        Assert.Equal(new JobLogPayload(job.JobId, "Unpacking nginx (1.22.1-9) ..."), log.Payload.Deserialize<JobLogPayload>(AgentJson.Options));
        var progress = await ReceiveUntilAsync(socket, WsMessageTypes.JobStatus);
        Assert.Equal(60, progress.Payload.GetProperty("progress_percent").GetInt32());
        var complete = await ReceiveUntilAsync(socket, WsMessageTypes.JobComplete);
        var detail = complete.Payload.Deserialize<JobDetail>(AgentJson.Options)!;
        Assert.Equal(job.JobId, detail.JobId);
        Assert.Equal(JobStatuses.Completed, detail.Status);
        Assert.Equal([new PackageChange("nginx", null, "1.22.1-9")], detail.Changes);
    }

    [Fact]
    public async Task Stream_SendsEveryJob_WhenClientSubscribesWithoutJobId()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, """{"action":"subscribe"}""");
        await SendAsync(socket, """{"type":"ping"}""");
        Assert.Equal(WsMessageTypes.Pong, (await ReceiveAsync(socket)).Type); // the subscription is in place once this answers

        var manager = _app!.Services.GetRequiredService<IJobManager>();
        var job = manager.Submit(new JobRequest(JobOperations.Remove, new PackageOperation(OperationKind.Remove, [new PackageTarget("telnet")])));

        var status = await ReceiveAsync(socket);
        Assert.Equal(WsMessageTypes.JobStatus, status.Type);
        Assert.Equal(job.JobId, status.Payload.GetProperty("job_id").GetString());
        Assert.Equal(JobStatuses.Pending, status.Payload.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Stream_AnswersPong_WhenClientPings()
    {
        using var socket = await ConnectAsync();

        await SendAsync(socket, """{"type":"ping"}""");

        Assert.Equal(WsMessageTypes.Pong, (await ReceiveAsync(socket)).Type);
    }

    [Theory]
    [InlineData("this is not json", ErrorCodes.InvalidRequest)]
    [InlineData("""{"type":"dance"}""", ErrorCodes.InvalidRequest)]
    [InlineData("""{"job_id":"0f8fad5b-d9cb-469f-a165-70867728950e"}""", ErrorCodes.InvalidRequest)]
    [InlineData("""{"type":"subscribe","job_id":"../../etc"}""", ErrorCodes.InvalidRequest)]
    [InlineData("""{"type":"subscribe","job_id":42}""", ErrorCodes.InvalidRequest)]
    [InlineData("""{"type":"subscribe","job_id":"0f8fad5b-d9cb-469f-a165-70867728950e"}""", ErrorCodes.JobNotFound)]
    [InlineData("[1,2,3]", ErrorCodes.InvalidRequest)]
    public async Task Stream_AnswersErrorAndStaysOpen_WhenClientSendsBadMessage(string message, string code)
    {
        using var socket = await ConnectAsync();

        await SendAsync(socket, message);
        var error = await ReceiveAsync(socket);

        Assert.Equal(WsMessageTypes.Error, error.Type);
        Assert.Equal(code, error.Payload.GetProperty("code").GetString());
        await SendAsync(socket, """{"type":"ping"}""");
        Assert.Equal(WsMessageTypes.Pong, (await ReceiveAsync(socket)).Type);
    }

    [Fact]
    public async Task Stream_RefusesMessageAndStaysOpen_WhenMessageIsOver4KiB()
    {
        using var socket = await ConnectAsync();

        await SendAsync(socket, $$"""{"type":"ping","padding":"{{new string('x', 10_000)}}"}""");
        var error = await ReceiveAsync(socket);

        Assert.Equal(ErrorCodes.PayloadTooLarge, error.Payload.GetProperty("code").GetString());
        await SendAsync(socket, """{"type":"ping"}""");
        Assert.Equal(WsMessageTypes.Pong, (await ReceiveAsync(socket)).Type);
    }

    [Fact]
    public async Task Stream_ClosesNormally_WhenClientCloses()
    {
        using var socket = await ConnectAsync();
        using var timeout = new CancellationTokenSource(JobsTestContext.WaitTimeout);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);

        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        var hub = _app!.Services.GetRequiredService<JobEventHub>();
        await Eventually.TrueAsync(() => hub.SubscriberCount == 0, "the server to drop the subscription");
    }

    [Fact]
    public async Task Stream_ClosesWithTooSlow_WhenClientStopsReading()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, """{"type":"subscribe_all"}""");
        await SendAsync(socket, """{"type":"ping"}""");
        Assert.Equal(WsMessageTypes.Pong, (await ReceiveAsync(socket)).Type);
        var hub = _app!.Services.GetRequiredService<JobEventHub>();
        var jobId = Guid.NewGuid().ToString("D");
        var line = new string('x', 1000);

        // The client reads nothing: once the TCP buffers are full the server's buffer fills and it is dropped.
        var published = 0;
        while (hub.SubscriberCount > 0 && published < 200_000)
        {
            hub.Publish(jobId, WsMessageTypes.JobLog, new JobLogPayload(jobId, line));
            published++;
        }

        Assert.Equal(0, hub.SubscriberCount);
        using var timeout = new CancellationTokenSource(JobsTestContext.WaitTimeout);
        var chunk = new byte[64 * 1024];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(chunk, timeout.Token);
        }
        while (result.MessageType != WebSocketMessageType.Close);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, socket.CloseStatus);
        Assert.Equal(JobsWebSocket.TooSlowReason, socket.CloseStatusDescription);
    }

    [Fact]
    public void AddJobs_BindsRebootCommandExactly_WhenConfigured()
    {
        // Binding a list onto a default list can append instead of replace; for a reboot command that would be dangerous.
        var options = _app!.Services.GetRequiredService<IOptions<AgentOptions>>().Value;

        Assert.Equal(["/bin/true"], options.Reboot.Command);
        Assert.Equal(_dataDir, options.DataDir);
    }

    private async Task<ClientWebSocket> ConnectAsync()
    {
        var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(JobsTestContext.WaitTimeout);
        await socket.ConnectAsync(_uri!, timeout.Token);
        return socket;
    }

    private static async Task SendAsync(ClientWebSocket socket, string text)
    {
        using var timeout = new CancellationTokenSource(JobsTestContext.WaitTimeout);
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
    }

    private static async Task<WsServerMessage> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(JobsTestContext.WaitTimeout);
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(chunk, timeout.Token);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            buffer.Write(chunk, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return JsonSerializer.Deserialize<WsServerMessage>(buffer.ToArray(), AgentJson.Options)!;
    }

    private static async Task<WsServerMessage> ReceiveUntilAsync(ClientWebSocket socket, string type)
    {
        while (true)
        {
            var message = await ReceiveAsync(socket);
            if (message.Type == type)
            {
                return message;
            }
        }
    }

    /// <summary>Collects what the server logs at Error or above.</summary>
    private sealed class ErrorCollector : ILoggerProvider
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Errors { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Collector(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Collector(ErrorCollector owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    owner.Errors.Enqueue($"{category}: {formatter(state, exception)} {exception}");
                }
            }
        }
    }
}
