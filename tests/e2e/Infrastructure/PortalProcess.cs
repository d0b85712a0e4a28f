using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PatchPortal.Tests.E2E.Infrastructure;

/// <summary>
/// The real portal (the built patch-portal.dll) running on 127.0.0.1 with a free port and a fresh data
/// directory. It is stopped through its own <see cref="Process"/> handle and its data directory removed.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly IReadOnlyDictionary<string, string> _settings;
    private bool _ownsDataDir = true;

    private PortalProcess(Process process, Uri baseAddress, string dataDir, IReadOnlyDictionary<string, string> settings)
    {
        _process = process;
        BaseAddress = baseAddress;
        DataDir = dataDir;
        _settings = settings;
    }

    public Uri BaseAddress { get; }

    public string DataDir { get; }

    /// <summary>Everything the portal wrote to stdout and stderr so far (for failure messages).</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    public static Task<PortalProcess> StartAsync(IReadOnlyDictionary<string, string> settings, TimeSpan timeout) =>
        StartAsync(settings, timeout, dataDir: null);

    /// <summary>
    /// A portal node on <paramref name="address"/> with a data directory the caller owns (nodes of one cluster share
    /// it for the CA and the data-protection keys); the directory is left in place when the node is disposed.
    /// </summary>
    public static async Task<PortalProcess> StartNodeAsync(IReadOnlyDictionary<string, string> settings, TimeSpan timeout, string dataDir, IPAddress address)
    {
        var node = await StartAsync(settings, timeout, dataDir, address);
        node._ownsDataDir = false;
        return node;
    }

    /// <summary>Kills the portal the hard way, as a crash or power loss would, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>
    /// Kills the portal the hard way (as a crash or power loss would) and starts it again on the same data directory
    /// (database, Hangfire's jobs, CA, keys) and a new port; the returned process owns the data directory from now on.
    /// </summary>
    public async Task<PortalProcess> RestartAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _ownsDataDir = false;
        return await StartAsync(_settings, timeout, DataDir);
    }

    private static async Task<PortalProcess> StartAsync(IReadOnlyDictionary<string, string> settings, TimeSpan timeout, string? dataDir, IPAddress? address = null)
    {
        var assembly = TestPaths.PortalAssembly;
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException("Build the solution first: the portal assembly is missing.", assembly);
        }

        dataDir ??= Path.Combine(Path.GetTempPath(), "patchportal-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        address ??= IPAddress.Loopback;
        var baseAddress = new Uri($"http://{address}:{FreePort(address)}");

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        start.ArgumentList.Add($"--Portal:DataDir={dataDir}");
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var portal = new PortalProcess(process, baseAddress, dataDir, settings);
        process.OutputDataReceived += (_, e) => portal.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => portal.Collect(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await portal.WaitUntilAnsweringAsync(timeout);
        }
        catch
        {
            await portal.DisposeAsync();
            throw;
        }

        return portal;
    }

    private void Collect(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    private async Task WaitUntilAnsweringAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The portal exited with code {_process.ExitCode} before answering:{Environment.NewLine}{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/account/login", UriKind.Relative), deadline.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"The portal did not answer within {timeout}:{Environment.NewLine}{Output}");
            }
            catch (TaskCanceledException)
            {
                // Listening but still starting (migrations, compiling): this probe's own 5 s ran out; ask again.
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The portal did not answer within {timeout}:{Environment.NewLine}{Output}");
            }
        }
    }

    private static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(wait.Token);
        }

        _process.Dispose();
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
            // A file still held open is left for the OS's temp cleanup; the next run uses a new directory.
        }
    }
}
