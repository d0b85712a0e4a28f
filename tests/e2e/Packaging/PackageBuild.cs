using System.Diagnostics;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Packaging;

/// <summary>The packages that <c>packaging/build.sh</c> makes, built once per test run and shared by every packaging test.</summary>
public sealed record PackageBuild(string Directory, string AgentDeb, string PortalDeb, string AgentRpm, string PortalRpm)
{
    public const string Version = "1.0.0";

    private static readonly Lazy<Task<PackageBuild>> Once = new(BuildAsync);

    public static Task<PackageBuild> GetAsync() => Once.Value;

    private static async Task<PackageBuild> BuildAsync()
    {
        var output = Path.Combine(Path.GetTempPath(), "patchportal-packages-" + Guid.NewGuid().ToString("N"));
        var result = await Run.ProcessAsync("bash", [Path.Combine(Repository.Root, "packaging", "build.sh"), "--version", Version, "--out", output], TimeSpan.FromMinutes(15));
        Assert.True(result.ExitCode == 0, $"packaging/build.sh failed ({result.ExitCode}):\n{result.Output}");
        return new PackageBuild(
            output,
            Path.Combine(output, $"patch-agent_{Version}_amd64.deb"),
            Path.Combine(output, $"patch-portal_{Version}_amd64.deb"),
            Path.Combine(output, $"patch-agent-{Version}-1.x86_64.rpm"),
            Path.Combine(output, $"patch-portal-{Version}-1.x86_64.rpm"));
    }
}

/// <summary>Runs a command with an argument list (never a shell string) and collects its output.</summary>
public static class Run
{
    public sealed record Result(int ExitCode, string Output);

    public static async Task<Result> ProcessAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repository.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = new Process { StartInfo = start };
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{program} did not finish within {timeout}:\n{output}");
        }

        process.WaitForExit();
        lock (output)
        {
            return new Result(process.ExitCode, output.ToString());
        }
    }
}
