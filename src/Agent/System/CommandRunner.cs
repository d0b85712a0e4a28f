using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace PatchPortal.Agent.Machine;

/// <summary>How a command ended.</summary>
/// <param name="ExitCode">The exit code; -1 when the command could not be started or was killed.</param>
/// <param name="NotFound">The executable does not exist (COMMAND_NOT_FOUND).</param>
/// <param name="TimedOut">The command ran past its timeout and was killed.</param>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr, bool NotFound = false, bool TimedOut = false)
{
    public bool Succeeded => ExitCode == 0 && !NotFound && !TimedOut;
}

/// <summary>What to run: an executable and its argument list. Never a shell string.</summary>
public sealed record CommandSpec(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>Extra environment on top of the clean base environment.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How much of each stream to keep in the result (the tail); lines are still streamed in full.</summary>
    public int MaxCapturedChars { get; init; } = 256 * 1024;

    public override string ToString() => FileName + " " + string.Join(' ', Arguments);
}

/// <summary>Runs external commands with an argument list, a clean environment, a timeout, and streamed output.</summary>
public interface ICommandRunner
{
    /// <summary>Runs <paramref name="spec"/>; on cancellation or timeout the whole process tree is killed.</summary>
    /// <param name="onLine">Called for each output line as it comes, with <c>stdout</c> or <c>stderr</c>.</param>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> is cancelled (after the kill).</exception>
    Task<CommandResult> RunAsync(CommandSpec spec, Action<string, string>? onLine, CancellationToken cancellationToken);
}

/// <summary>The real runner over <see cref="Process"/>.</summary>
public sealed class CommandRunner : ICommandRunner
{
    /// <summary>The fixed PATH every command gets, whatever the agent's own environment.</summary>
    public const string SafePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public async Task<CommandResult> RunAsync(CommandSpec spec, Action<string, string>? onLine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        cancellationToken.ThrowIfCancellationRequested();

        var startInfo = new ProcessStartInfo(spec.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = "/",
        };
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Clear();
        startInfo.Environment["PATH"] = SafePath;
        startInfo.Environment["LC_ALL"] = "C";
        startInfo.Environment["LANG"] = "C";
        startInfo.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        startInfo.Environment["APT_LISTCHANGES_FRONTEND"] = "none";
        startInfo.Environment["HOME"] = "/root";
        foreach (var (key, value) in spec.Environment)
        {
            startInfo.Environment[key] = value;
        }

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception)
        {
            return new CommandResult(-1, string.Empty, $"command not found: {spec.FileName}", NotFound: true);
        }

        process.StandardInput.Close();
        var stdout = new TailBuffer(spec.MaxCapturedChars);
        var stderr = new TailBuffer(spec.MaxCapturedChars);
        var readOut = PumpAsync(process.StandardOutput, "stdout", stdout, onLine);
        var readErr = PumpAsync(process.StandardError, "stderr", stderr, onLine);

        using var timeout = new CancellationTokenSource(spec.Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token);
            await Task.WhenAll(readOut, readErr);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAll(readOut, readErr);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            return new CommandResult(-1, stdout.ToString(), stderr.ToString(), TimedOut: true);
        }

        return new CommandResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static async Task PumpAsync(StreamReader reader, string stream, TailBuffer buffer, Action<string, string>? onLine)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            buffer.AppendLine(line);
            onLine?.Invoke(stream, line);
        }
    }

    /// <summary>Keeps the last <c>max</c> characters of a stream: the end of a failing command's output is what explains it.</summary>
    private sealed class TailBuffer(int max)
    {
        private readonly StringBuilder _text = new();

        public void AppendLine(string line)
        {
            lock (_text)
            {
                _text.Append(line).Append('\n');
                if (_text.Length > max)
                {
                    _text.Remove(0, _text.Length - max);
                }
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }
}
