using System.Diagnostics;

namespace PatchPortal.Tests.E2E.Infrastructure;

/// <summary>Runs one of this machine's commands (dpkg-query, rpm, dnf, ...) with an argument list, to compare the agent's answers against.</summary>
public static class SystemCommand
{
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        startInfo.Environment["LC_ALL"] = "C";
        using var process = Process.Start(startInfo)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }
}
