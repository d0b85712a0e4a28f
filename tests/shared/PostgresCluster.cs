using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace PatchPortal.Tests.Postgres;

/// <summary>
/// A throw-away PostgreSQL cluster from Debian's server binaries: initdb into a fresh temp directory, the postmaster on
/// a free port of one loopback address (sockets in that directory, fsync off), stopped through its own process
/// handle and deleted afterwards. Never the system cluster. As root it runs as the <c>postgres</c> user (initdb
/// refuses root), through setpriv so the handle is the postmaster itself.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private const string SuperUser = "postgres";
    private readonly Process _postmaster;
    private readonly string _directory;
    private int _databases;

    private PostgresCluster(Process postmaster, string directory, string address, int port)
    {
        _postmaster = postmaster;
        _directory = directory;
        Address = address;
        Port = port;
    }

    public string Address { get; }

    public int Port { get; }

    /// <summary>The superuser's connection string to the maintenance database.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) =>
        $"Host={Address};Port={Port};Username={SuperUser};Database={database};Pooling=true;Timeout=10";

    public static async Task<PostgresCluster> StartAsync(string address, TimeSpan timeout)
    {
        var bin = ServerBinaries();
        var directory = Path.Combine(Path.GetTempPath(), "patchportal-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", [SuperUser + ":" + SuperUser, directory]);
        }

        var data = Path.Combine(directory, "data");
        await RunAsync(Command(asRoot, Path.Combine(bin, "initdb")), [.. Prefix(asRoot, Path.Combine(bin, "initdb")),
            "-D", data, "-U", SuperUser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]);

        var port = FreePort(address);
        var start = new ProcessStartInfo(Command(asRoot, Path.Combine(bin, "postgres")))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var word in Prefix(asRoot, Path.Combine(bin, "postgres")).Concat([
            "-D", data, "-p", port.ToString(CultureInfo.InvariantCulture),
            "-c", $"listen_addresses={address}", "-c", $"unix_socket_directories={directory}",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=300", "-c", "shared_buffers=64MB"]))
        {
            start.ArgumentList.Add(word);
        }

        var process = new Process { StartInfo = start };
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { log.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { log.Enqueue(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var cluster = new PostgresCluster(process, directory, address, port);
        try
        {
            await cluster.WaitUntilAcceptingAsync(timeout, log);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "pp")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (!_postmaster.HasExited)
        {
            // SIGINT is PostgreSQL's fast shutdown: it ends sessions and stops cleanly.
            await RunAsync("kill", ["-INT", _postmaster.Id.ToString(CultureInfo.InvariantCulture)], check: false);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _postmaster.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _postmaster.Kill(entireProcessTree: true);
                await _postmaster.WaitForExitAsync();
            }
        }

        _postmaster.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleanup.
        }
    }

    private async Task WaitUntilAcceptingAsync(TimeSpan timeout, System.Collections.Concurrent.ConcurrentQueue<string> log)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_postmaster.HasExited)
            {
                throw new InvalidOperationException($"PostgreSQL exited with code {_postmaster.ExitCode}:{Environment.NewLine}{string.Join(Environment.NewLine, log)}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(AdminConnectionString + ";Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"PostgreSQL did not accept connections within {timeout}:{Environment.NewLine}{string.Join(Environment.NewLine, log)}", e);
                }
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The newest installed server's bin directory (Debian keeps them under /usr/lib/postgresql/N/bin).</summary>
    private static string ServerBinaries()
    {
        const string root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .OrderByDescending(d => d.Version)
                .Select(d => Path.Combine(d.Dir, "bin"))
                .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            : null;
        return bin ?? throw new InvalidOperationException(
            "PostgreSQL's server binaries are missing (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql (./test.sh installs it).");
    }

    private static string Command(bool asRoot, string program) => asRoot ? "setpriv" : program;

    private static string[] Prefix(bool asRoot, string program) =>
        asRoot ? ["--reuid=" + SuperUser, "--regid=" + SuperUser, "--init-groups", "--", program] : [];

    private static int FreePort(string address)
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string program, IEnumerable<string> arguments, bool check = true)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }
}
