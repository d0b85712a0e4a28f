using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PatchPortal.Bench;

/// <summary>
/// Debian's nginx as the baseline: mTLS with the bench's CA, server certificate and key (the agent's), serving static
/// JSON files holding the bodies the agent answered, so both send the same bytes over the same TLS.
/// </summary>
public sealed class Nginx : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private Nginx(ChildProcess process, IPEndPoint endpoint, IPEndPoint loggedEndpoint, string accessLog)
    {
        _process = process;
        Endpoint = endpoint;
        LoggedEndpoint = loggedEndpoint;
        AccessLog = accessLog;
    }

    public const string Program = "/usr/sbin/nginx";

    public IPEndPoint Endpoint { get; }

    /// <summary>The same server with an access log of <c>$ssl_session_reused</c>, to prove session resumption happens.</summary>
    public IPEndPoint LoggedEndpoint { get; }

    public string AccessLog { get; }

    public ChildProcess Process => _process;

    public static string? Version()
    {
        if (!File.Exists(Program))
        {
            return null;
        }

        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(Program, ["-v"]) { RedirectStandardError = true, UseShellExecute = false })!;
        var text = process.StandardError.ReadToEnd().Trim();
        process.WaitForExit();
        return text.Replace("nginx version: ", string.Empty, StringComparison.Ordinal);
    }

    /// <param name="bodies">Request path (without query) → the exact body to serve for it.</param>
    public static async Task<Nginx> StartAsync(BenchPki pki, IPAddress address, IReadOnlyDictionary<string, byte[]> bodies, string directory)
    {
        var root = Path.Combine(directory, "nginx");
        var www = Path.Combine(root, "www");
        Directory.CreateDirectory(www);
        foreach (var name in new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
        }

        // nginx's workers run as nobody: the served files and their directories must be readable by others.
        File.SetUnixFileMode(directory, (UnixFileMode)Convert.ToInt32("755", 8));
        File.SetUnixFileMode(root, (UnixFileMode)Convert.ToInt32("755", 8));
        var locations = new StringBuilder();
        var i = 0;
        foreach (var (path, body) in bodies)
        {
            var file = Path.Combine(www, $"body{i++}.json");
            await File.WriteAllBytesAsync(file, body);
            File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("644", 8));
            locations.Append(CultureInfoInvariant($"        location = {path} {{ default_type application/json; alias {file}; }}\n"));
        }

        var port = FreePort(address);
        var loggedPort = FreePort(address);
        var accessLog = Path.Combine(root, "resumption.log");
        var tls = $"""
                ssl_certificate {pki.ServerPath};
                ssl_certificate_key {pki.ServerKeyPath};
                ssl_client_certificate {pki.CaPath};
                ssl_verify_client on;
                ssl_protocols TLSv1.2 TLSv1.3;
                ssl_session_cache shared:bench:10m;
                ssl_session_tickets on;
        """;
        var config = $$"""
            worker_processes auto;
            pid {{root}}/nginx.pid;
            error_log {{root}}/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                sendfile on;
                tcp_nodelay on;
                keepalive_timeout 120s;
                keepalive_requests 100000000;
                client_body_temp_path {{root}}/client_body;
                proxy_temp_path {{root}}/proxy;
                fastcgi_temp_path {{root}}/fastcgi;
                uwsgi_temp_path {{root}}/uwsgi;
                scgi_temp_path {{root}}/scgi;
                log_format resumed '$ssl_session_reused';
                server {
                    listen {{address}}:{{port}} ssl;
            {{tls}}
            {{locations}}
                }
                server {
                    listen {{address}}:{{loggedPort}} ssl;
                    access_log {{accessLog}} resumed;
            {{tls}}
            {{locations}}
                }
            }
            """;
        var configPath = Path.Combine(root, "nginx.conf");
        await File.WriteAllTextAsync(configPath, config);
        var process = ChildProcess.Start(Program, ["-p", root, "-c", configPath, "-g", "daemon off;"]);
        var nginx = new Nginx(process, new IPEndPoint(address, port), new IPEndPoint(address, loggedPort), accessLog);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!Listening(nginx.Endpoint))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var output = process.Output;
                await nginx.DisposeAsync();
                throw new InvalidOperationException("nginx did not start: " + output + File.ReadAllText(Path.Combine(root, "error.log")));
            }

            await Task.Delay(20);
        }

        return nginx;
    }

    /// <summary>How many logged handshakes were resumed ("r") and how many were full (".").</summary>
    public (int Resumed, int Full) Resumption()
    {
        if (!File.Exists(AccessLog))
        {
            return (0, 0);
        }

        var lines = File.ReadAllLines(AccessLog);
        return (lines.Count(l => l.Trim() == "r"), lines.Count(l => l.Trim() == "."));
    }

    public void ClearAccessLog()
    {
        if (File.Exists(AccessLog))
        {
            File.WriteAllText(AccessLog, string.Empty);
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static string CultureInfoInvariant(FormattableString text) => FormattableString.Invariant(text);

    private static bool Listening(IPEndPoint endpoint)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(endpoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    internal static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
