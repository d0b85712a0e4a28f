using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PatchPortal.Tests.E2E.Infrastructure;

/// <summary>
/// The real agent process (<c>patch-agent.dll</c> from the build), started on a loopback address with a JSON
/// configuration file and a test PKI, stopped by its own handle.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TestPki _pki;
    private Process? _process;

    /// <summary>An installed program to run directly; null runs the built patch-agent.dll with dotnet.</summary>
    private string? _program;

    /// <summary>False for an installed agent: its directories belong to the package, not to the test.</summary>
    private bool _ownsDataDir = true;

    private AgentProcess(TestPki pki, IPAddress address, int port, string dataDir, string configPath, string[] extraArgs)
    {
        _pki = pki;
        Address = address;
        Port = port;
        DataDir = dataDir;
        ConfigPath = configPath;
        ExtraArgs = extraArgs;
    }

    public IPAddress Address { get; }

    public int Port { get; }

    public string DataDir { get; }

    public string ConfigPath { get; }

    public string[] ExtraArgs { get; }

    public Uri BaseUri => new($"https://{Address}:{Port}/");

    public Uri WebSocketUri => new($"wss://{Address}:{Port}/api/v1/ws/jobs");

    public IEnumerable<string> Output => _output;

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Writes the configuration, starts the agent and waits until it serves <c>/health</c>.</summary>
    /// <param name="settings">Extra settings for the <c>Agent</c> section of the JSON file (merged over the defaults).</param>
    public static async Task<AgentProcess> StartAsync(TestPki pki, string address = "127.0.0.1", string backend = "simulated",
        JsonObject? settings = null, string[]? extraArgs = null, bool waitUntilReady = true)
    {
        var ip = IPAddress.Parse(address);
        var dataDir = Directory.CreateTempSubdirectory("patchportal-agent-").FullName;
        var agent = new JsonObject
        {
            ["Urls"] = $"https://{address}:{Repository.FreePort(ip)}",
            ["Tls"] = new JsonObject { ["Certificate"] = pki.ServerCertificatePath, ["Key"] = pki.ServerKeyPath, ["ClientCa"] = pki.CaPath, ["Crl"] = pki.CrlPath },
            ["AllowedClients"] = new JsonArray(TestPki.PortalClientName, TestPki.Fingerprint(pki.ScriptClient)),
            ["Backend"] = backend,
            ["DataDir"] = dataDir,
            ["Reboot"] = new JsonObject { ["Command"] = new JsonArray("/bin/true") },
            ["Simulated"] = new JsonObject { ["JobDurationMs"] = 300, ["FailureRate"] = 0.0 },
        };
        foreach (var (key, value) in settings ?? [])
        {
            agent[key] = value?.DeepClone();
        }

        var configPath = Path.Combine(dataDir, "agent.json");
        await File.WriteAllTextAsync(configPath, new JsonObject { ["Agent"] = agent }.ToJsonString());
        var port = new Uri(agent["Urls"]!.GetValue<string>().Split(';')[0]).Port;
        var process = new AgentProcess(pki, ip, port, dataDir, configPath, extraArgs ?? []);
        process.Start();
        if (waitUntilReady)
        {
            await process.WaitUntilReadyAsync();
        }

        return process;
    }

    /// <summary>
    /// Starts an agent on a configuration written elsewhere (e.g. by <c>patch-agent enroll</c>) and waits until it
    /// listens; its identity is the portal's business, so readiness is read from its log, not from a request.
    /// </summary>
    public static async Task<AgentProcess> StartWithConfigAsync(TestPki pki, string configPath, IPAddress address, int port)
    {
        var agent = new AgentProcess(pki, address, port, Path.GetDirectoryName(configPath)!, configPath, []);
        agent.Start();
        await Wait.UntilAsync(() => Task.FromResult(agent.Output.Any(l => l.Contains("Now listening", StringComparison.Ordinal)) || agent.ExitCode is not null),
            TimeSpan.FromSeconds(60), "the agent to listen");
        return agent.ExitCode is null ? agent : throw new InvalidOperationException(agent.ToString());
    }

    /// <summary>
    /// Starts a packaged agent (the self-contained program) on its installed configuration, listening on the given
    /// loopback address instead of the packaged 0.0.0.0; stopping it leaves the package's files alone.
    /// </summary>
    public static async Task<AgentProcess> StartInstalledAsync(TestPki pki, string program, string configPath, IPAddress address, int port)
    {
        var agent = new AgentProcess(pki, address, port, Path.GetDirectoryName(configPath)!, configPath, [$"--Agent:Urls=https://{address}:{port}"])
        {
            _program = program,
            _ownsDataDir = false,
        };
        agent.Start();
        await Wait.UntilAsync(() => Task.FromResult(agent.Output.Any(l => l.Contains("Now listening", StringComparison.Ordinal)) || agent.ExitCode is not null),
            TimeSpan.FromSeconds(60), "the installed agent to listen");
        return agent.ExitCode is null ? agent : throw new InvalidOperationException(agent.ToString());
    }

    /// <summary>
    /// An agent program to run instead of the built <c>patch-agent.dll</c> (e.g. the Native AOT executable:
    /// <c>PATCHPORTAL_E2E_AGENT=$PWD/bench/bin/agent-aot/patch-agent</c>), so the agent suites can be run against it.
    /// </summary>
    public const string ProgramVariable = "PATCHPORTAL_E2E_AGENT";

    public void Start()
    {
        _program ??= Environment.GetEnvironmentVariable(ProgramVariable) is { Length: > 0 } other ? other : null;
        var startInfo = new ProcessStartInfo(_program ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (_program is null)
        {
            startInfo.ArgumentList.Add(Repository.ProductPath("Agent", "patch-agent.dll"));
        }

        startInfo.ArgumentList.Add("--config");
        startInfo.ArgumentList.Add(ConfigPath);
        foreach (var argument in ExtraArgs)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["DOTNET_ENVIRONMENT"] = "Production";
        startInfo.Environment["Logging__Console__FormatterName"] = "simple";
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    public async Task WaitUntilReadyAsync()
    {
        using var client = CreateClient(_pki.PortalClient);
        await Wait.UntilAsync(async () =>
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"the agent exited with {_process.ExitCode}:\n{string.Join('\n', _output)}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(BaseUri, "health"));
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "agent to serve /health");
    }

    /// <summary>Waits for the process to exit by itself (for configuration refusals) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process!.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public Task WaitForOutputAsync(Func<string, bool> predicate, string what) =>
        Wait.UntilAsync(() => Task.FromResult(_output.Any(predicate)), TimeSpan.FromSeconds(15), what);

    /// <summary>Kills the agent (like a crash or power loss) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>
    /// Starts a stopped agent again on the same configuration and waits until it listens (read from its log, as
    /// <see cref="StartWithConfigAsync"/> does: an enrolled agent trusts the portal's CA, not the test PKI).
    /// </summary>
    public async Task StartAgainAsync()
    {
        await KillAsync();
        _process?.Dispose();
        var listening = _output.Count(l => l.Contains("Now listening", StringComparison.Ordinal));
        Start();
        await Wait.UntilAsync(() => Task.FromResult(_output.Count(l => l.Contains("Now listening", StringComparison.Ordinal)) > listening || ExitCode is not null),
            TimeSpan.FromSeconds(60), "the agent to listen again");
        if (ExitCode is not null)
        {
            throw new InvalidOperationException(ToString());
        }
    }

    public async Task RestartAsync()
    {
        await KillAsync();
        _process?.Dispose();
        Start();
        await WaitUntilReadyAsync();
    }

    /// <summary>An HTTPS client that presents <paramref name="clientCertificate"/> and trusts only the test CA.</summary>
    /// <param name="localAddress">Connect from this loopback address (to test the source-address allow-list).</param>
    public HttpClient CreateClient(X509Certificate2? clientCertificate, IPAddress? localAddress = null) =>
        new(CreateHandler(clientCertificate, localAddress)) { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(60) };

    public SocketsHttpHandler CreateHandler(X509Certificate2? clientCertificate, IPAddress? localAddress = null)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
        handler.SslOptions.ClientCertificates = clientCertificate is null ? null : [clientCertificate];
        handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate!;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && _pki.IsIssuedByCa(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        if (localAddress is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(localAddress, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return handler;
    }

    /// <summary>A connected WebSocket to <c>/api/v1/ws/jobs</c> as <paramref name="clientCertificate"/>.</summary>
    public async Task<ClientWebSocket> ConnectWebSocketAsync(X509Certificate2 clientCertificate)
    {
        var socket = new ClientWebSocket();
        socket.Options.ClientCertificates = [clientCertificate];
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && _pki.IsIssuedByCa(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        await socket.ConnectAsync(WebSocketUri, CancellationToken.None);
        return socket;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        if (!_ownsDataDir)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by the dying process; the temp directory is cleaned by the OS eventually.
        }
    }

    public override string ToString() => $"agent at {BaseUri}:\n{string.Join('\n', _output.TakeLast(50))}";
}
