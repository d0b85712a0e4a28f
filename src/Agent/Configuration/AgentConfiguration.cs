namespace PatchPortal.Agent.Configuration;

/// <summary>
/// Where the agent's settings come from, later sources winning: defaults, the JSON file (<c>Agent:Config</c>,
/// <c>--config FILE</c>), <c>PATCHAGENT_</c> environment variables, then the command line.
/// </summary>
public static class AgentConfiguration
{
    public const string DefaultConfigPath = "/etc/patch-agent/agent.json";
    public const string EnvironmentPrefix = "PATCHAGENT_";

    private static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--config"] = "Agent:Config",
    };

    public static void Load(IConfigurationBuilder configuration, string[] args)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var early = new ConfigurationBuilder()
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddCommandLine(args, SwitchMappings)
            .Build();
        var explicitPath = early["Agent:Config"];
        var path = explicitPath ?? DefaultConfigPath;

        configuration.Sources.Clear();
        configuration.AddJsonFile(Path.GetFullPath(path), optional: explicitPath is null, reloadOnChange: false);
        configuration.AddEnvironmentVariables(EnvironmentPrefix);
        configuration.AddCommandLine(args, SwitchMappings);
    }

    /// <summary>The JSON file the settings were read from (and that <c>enroll</c> writes to).</summary>
    public static string ConfigPath(IConfiguration configuration) => Path.GetFullPath(configuration?["Agent:Config"] ?? DefaultConfigPath);
}
