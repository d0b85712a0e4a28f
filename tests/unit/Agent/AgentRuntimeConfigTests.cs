using System.Text.Json;

namespace PatchPortal.Tests.Unit.Agent;

/// <summary>The agent's runtime settings that keep it light on every host (measured in docs/benchmarks.md).</summary>
public sealed class AgentRuntimeConfigTests
{
    [Fact]
    public void RuntimeConfig_UsesWorkstationNonConcurrentGc_WhenAgentIsBuilt()
    {
        var options = RuntimeOptions();

        Assert.False(options.GetProperty("System.GC.Server").GetBoolean());
        Assert.False(options.GetProperty("System.GC.Concurrent").GetBoolean());
    }

    private static JsonElement RuntimeOptions()
    {
        // The test assembly sits in tests/unit/bin/<Configuration>/net10.0; the agent's build output mirrors it.
        var output = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = output.Parent!.Name;
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Portal.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var path = Path.Combine(root.FullName, "src", "Agent", "bin", configuration, "net10.0", "patch-agent.runtimeconfig.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }
}
