using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace PatchPortal.Bench;

/// <summary>A process the bench started, stopped by its own handle, with its memory and CPU read from /proc.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => string.Join(Environment.NewLine, _output.TakeLast(80));

    public static ChildProcess Start(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => child.Collect(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Resident set size now, in MiB (VmRSS).</summary>
    public double RssMiB() => ReadStatusKb(_process.Id, "VmRSS:") / 1024.0;

    /// <summary>The private, anonymous part of the resident set (heap, stacks, data) in MiB; the rest is mapped files (code, libraries).</summary>
    public double RssAnonMiB() => ReadStatusKb(_process.Id, "RssAnon:") / 1024.0;

    /// <summary>The peak resident set size since start, in MiB (VmHWM).</summary>
    public double PeakRssMiB() => ReadStatusKb(_process.Id, "VmHWM:") / 1024.0;

    /// <summary>CPU seconds (user + system) the process used so far.</summary>
    public double CpuSeconds() => CpuSeconds(_process.Id);

    /// <summary>Resident set size of a process and all its descendants (nginx master and workers), in MiB.</summary>
    public double TreeRssMiB() => Tree(_process.Id).Sum(pid => ReadStatusKb(pid, "VmRSS:")) / 1024.0;

    public double TreeCpuSeconds() => Tree(_process.Id).Sum(CpuSeconds);

    /// <summary>The exit code, once the process ended and everything it printed was collected (see <see cref="WaitForExitAsync"/>).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Waits for the process to end and for its output to be read to the end: <see cref="HasExited"/> turns true while
    /// the last lines may still be on their way to <see cref="Output"/>.
    /// </summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    public bool OutputContains(string text) => _output.Any(l => l.Contains(text, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(wait.Token);
        }

        _process.Dispose();
    }

    private static List<int> Tree(int root)
    {
        var result = new List<int> { root };
        for (var i = 0; i < result.Count; i++)
        {
            var children = $"/proc/{result[i]}/task/{result[i]}/children";
            if (File.Exists(children))
            {
                result.AddRange(File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)));
            }
        }

        return result;
    }

    private static double CpuSeconds(int pid)
    {
        try
        {
            // Fields after the command name (which may hold spaces) are space-separated; utime and stime are 14 and 15.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long ReadStatusKb(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private void Collect(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}

/// <summary>Where the built products are: the bench runs the agent and portal built in its own configuration.</summary>
public static class Products
{
    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    public static string Path(string project, string assembly)
    {
        var path = System.IO.Path.Combine(Root, "src", project, "bin", Configuration, "net10.0", assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{assembly} is not built; build Portal.sln in {Configuration} first", path);
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Portal.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Portal.sln not found above " + AppContext.BaseDirectory);
    }
}
