using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json.Nodes;

namespace PatchPortal.Bench;

/// <summary>The real agent (the built patch-agent.dll) on a loopback address with a JSON configuration of the bench's.</summary>
public sealed class AgentUnderTest : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _dataDir;

    private AgentUnderTest(ChildProcess process, IPEndPoint endpoint, string dataDir, TimeSpan startup)
    {
        _process = process;
        Endpoint = endpoint;
        _dataDir = dataDir;
        Startup = startup;
    }

    public IPEndPoint Endpoint { get; }

    public string DataDirectory => _dataDir;

    /// <summary>From starting the process to the first <c>GET /health</c> answered with 200.</summary>
    public TimeSpan Startup { get; }

    public ChildProcess Process => _process;

    /// <summary>
    /// Starts the agent and polls <c>GET /health</c> over mTLS every few milliseconds until it answers 200.
    /// <paramref name="agent"/> holds extra settings merged into the <c>Agent</c> section.
    /// </summary>
    public static async Task<AgentUnderTest> StartAsync(BenchPki pki, LoadClient client, IPAddress address, string backend, JsonObject? agent = null,
        IReadOnlyList<string>? urls = null, string? program = null, IReadOnlyDictionary<string, string>? environment = null, bool waitForHealth = true)
    {
        var dataDir = Directory.CreateTempSubdirectory("patchportal-bench-agent-").FullName;
        var port = Nginx.FreePort(address);
        var section = new JsonObject
        {
            ["Urls"] = urls is null ? $"https://{address}:{port}" : string.Join(';', urls),
            ["Tls"] = new JsonObject { ["Certificate"] = pki.ServerPath, ["Key"] = pki.ServerKeyPath, ["ClientCa"] = pki.CaPath },
            ["AllowedClients"] = new JsonArray(BenchPki.ClientName),
            ["Backend"] = backend,
            ["DataDir"] = dataDir,
            ["Reboot"] = new JsonObject { ["Command"] = new JsonArray("/bin/true") },
            // The bench is one client sending as fast as it can: the per-client limit (600 a minute by default) would
            // measure the limiter, not the agent. nginx has none either.
            ["Limits"] = new JsonObject { ["RequestsPerMinute"] = 0, ["MaxConnections"] = 2000 },
        };
        foreach (var (key, value) in agent ?? [])
        {
            section[key] = value?.DeepClone();
        }

        var config = Path.Combine(dataDir, "agent.json");
        await File.WriteAllTextAsync(config, new JsonObject { ["Agent"] = section, ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning" } } }.ToJsonString());
        var arguments = program is null ? new List<string> { Products.Path("Agent", "patch-agent.dll") } : [];
        arguments.AddRange(["--config", config]);
        var clock = Stopwatch.StartNew();
        var process = ChildProcess.Start(program ?? "dotnet", arguments, environment);
        var endpoint = new IPEndPoint(address, urls is null ? port : new Uri(urls[0]).Port);
        var deadline = TimeSpan.FromSeconds(60);
        while (true)
        {
            if (!waitForHealth && !process.HasExited && clock.Elapsed < deadline)
            {
                // Another identity's agent (the fleet's): listening is all the bench can check without its client.
                if (Listening(endpoint))
                {
                    break;
                }

                await Task.Delay(20);
                continue;
            }

            if (process.HasExited || clock.Elapsed > deadline)
            {
                var output = process.Output;
                await process.DisposeAsync();
                throw new InvalidOperationException($"the agent did not answer GET /health within {deadline.TotalSeconds} s: {output}");
            }

            try
            {
                var (status, _) = await client.GetOnceAsync(endpoint, "/health", CancellationToken.None);
                if (status == 200)
                {
                    break;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or InvalidDataException)
            {
                // Not listening yet.
            }

            await Task.Delay(5);
        }

        return new AgentUnderTest(process, endpoint, dataDir, clock.Elapsed);
    }

    private static bool Listening(IPEndPoint endpoint)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(endpoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
