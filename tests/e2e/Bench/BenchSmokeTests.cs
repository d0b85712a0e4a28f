using System.Diagnostics;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Bench;

/// <summary>
/// The benchmark suite's smoke mode (tiny sizes, fractions of a second per figure), so the bench cannot rot: it starts
/// real agents, nginx, the portal and a browser, and fails when an agent does not answer, a load run has errors, a
/// figure is missing, or a user's request fails during the short soak.
/// </summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task Smoke_WritesEveryFigure_WhenAgentNginxAndPortalAnswer()
    {
        var bench = Path.Combine(Repository.Root, "bench", "bin", Repository.Configuration, "net10.0", "patchportal-bench.dll");
        Assert.True(File.Exists(bench), "the bench is not built: " + bench);
        var output = Path.Combine(Path.GetTempPath(), $"patchportal-bench-smoke-{Guid.NewGuid():N}.md");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { bench, "--smoke", "--out", output })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var text = File.Exists(output) ? await File.ReadAllTextAsync(output) : string.Empty;
        File.Delete(output);
        Assert.True(process.ExitCode == 0, $"the bench's smoke run failed ({process.ExitCode}):\n{await stdout}\n{await stderr}\n{text}");
        Assert.Contains("agent / nginx", text, StringComparison.Ordinal);
        Assert.Contains("Fleet fan-out", text, StringComparison.Ordinal);
        Assert.Contains("## Soak", text, StringComparison.Ordinal);
        Assert.DoesNotContain("## Problems", text, StringComparison.Ordinal);
    }
}
