using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace PatchPortal.Tests.E2E.Infrastructure;

/// <summary>
/// Enrols a real agent with the command the portal showed (running the real <c>patch-agent enroll</c>, minus sudo and
/// with a free port) and starts it with the certificates it obtained. The caller disposes the returned process.
/// </summary>
public static class AgentEnrollment
{
    public static async Task<AgentProcess> EnrolAndStartAsync(string directory, string name, IPAddress address, string command, TestPki unusedPki, string backend = "simulated", int? port = null, int jobDurationMs = 300, double failureRate = 0)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(command);
        var agentPort = port ?? Repository.FreePort(address);
        var home = Directory.CreateDirectory(Path.Combine(directory, name)).FullName;
        var config = Path.Combine(home, "agent.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["Agent"] = new JsonObject
            {
                ["Urls"] = $"https://{address}:{agentPort}",
                ["Backend"] = backend,
                ["DataDir"] = Path.Combine(home, "data"),
                ["Tls"] = new JsonObject
                {
                    ["Certificate"] = Path.Combine(home, "certs", "server.pem"),
                    ["Key"] = Path.Combine(home, "certs", "server.key"),
                    ["ClientCa"] = Path.Combine(home, "certs", "ca.pem"),
                },
                ["Reboot"] = new JsonObject { ["Command"] = new JsonArray("/bin/true") },
                ["Simulated"] = new JsonObject { ["JobDurationMs"] = jobDurationMs, ["FailureRate"] = failureRate },
            },
        }.ToJsonString());

        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(w => w != "enroll").ToList();
        words[words.IndexOf("--port") + 1] = agentPort.ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Repository.ProductPath("Agent", "patch-agent.dll"));
        foreach (var word in words.Concat(["--config", config]))
        {
            start.ArgumentList.Add(word);
        }

        using var enroll = Process.Start(start)!;
        var output = await enroll.StandardOutput.ReadToEndAsync() + await enroll.StandardError.ReadToEndAsync();
        await enroll.WaitForExitAsync();
        Assert.True(enroll.ExitCode == 0, $"enroll failed ({enroll.ExitCode}): {output}");
        return await AgentProcess.StartWithConfigAsync(unusedPki, config, address, agentPort);
    }
}
