using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Operations;

/// <summary>
/// One request id in the logs of both processes: the real portal enrols and supervises its local agent (a real agent
/// process on 127.0.0.61 whose output the portal relays as "[agent]" lines), polls it from its background jobs, and the
/// id each call carried shows in the portal's own line for the call and in the agent's line for the same request.
/// </summary>
public sealed partial class RequestIdAcrossProcessesTests
{
    [Fact]
    public async Task AgentCall_IsLoggedUnderOneRequestId_ByPortalAndAgent()
    {
        var address = IPAddress.Parse("127.0.0.61");
        var port = Repository.FreePort(address);
        await using var portal = await PortalProcess.StartAsync(new Dictionary<string, string>
        {
            ["Portal:LocalAgent:Enabled"] = "true",
            ["Portal:LocalAgent:AgentPath"] = Repository.ProductPath("Agent", "patch-agent.dll"),
            ["Portal:LocalAgent:Address"] = address.ToString(),
            ["Portal:LocalAgent:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Portal:LocalAgent:Backend"] = "simulated",
            ["Portal:Admin:Email"] = "admin@example.com",
            ["Portal:Admin:Password"] = "Correct-Horse-42-Battery",
            ["Logging:LogLevel:PatchPortal.Portal.Agents"] = "Debug",
        }, TimeSpan.FromSeconds(90));

        string? shared = null;
        try
        {
            await Wait.UntilAsync(() =>
            {
                var lines = portal.Output.Split(Environment.NewLine);
                var agentIds = lines.Where(l => l.Contains("[agent]", StringComparison.Ordinal))
                    .Select(l => AgentRequest().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
                shared = lines.Where(l => !l.Contains("[agent]", StringComparison.Ordinal))
                    .Select(l => PortalRequest().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value)
                    .FirstOrDefault(agentIds.Contains);
                return Task.FromResult(shared is not null);
            }, TimeSpan.FromSeconds(120), "a portal call to its agent logged by both under one request id");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + "\n" + portal.Output, ex);
        }

        Assert.Matches("^[0-9a-f]{32}$", shared);
    }

    /// <summary>The agent's request scope: "Request &lt;id&gt; from &lt;client&gt;".</summary>
    [GeneratedRegex(@"Request ([A-Za-z0-9._:-]{1,64}) from patchportal-portal")]
    private static partial Regex AgentRequest();

    /// <summary>The portal's own scope: "=> Request &lt;id&gt;" (last in the scope line, no client after it).</summary>
    [GeneratedRegex(@"=> Request ([A-Za-z0-9._:-]{1,64})$")]
    private static partial Regex PortalRequest();
}
