using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Machine;
using PatchPortal.Agent.Packages.Apt;
using PatchPortal.Agent.Packages.Dnf;
using PatchPortal.Agent.Packages.Simulated;

namespace PatchPortal.Agent.Packages;

/// <summary>Registers the command runner and the one package backend that Agent:Backend selects.</summary>
public static class PackagesExtensions
{
    public static WebApplicationBuilder AddPackageBackends(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AgentOptionsAnnotations.BindAgentOptions(builder.Services).ValidateOnStart();
        builder.Services.AddSingleton<ICommandRunner, CommandRunner>();

        // Decided here, from the same key the options bind, so a wrong value or an unsupported host stops the agent at
        // start rather than at the first request.
        var configured = builder.Configuration[AgentOptions.Section + ":" + nameof(AgentOptions.Backend)] ?? "auto";
        switch (BackendSelection.Resolve(configured, File.Exists))
        {
            case "apt":
                builder.Services.AddSingleton<IPackageManager, AptPackageManager>();
                break;
            case "dnf":
                builder.Services.AddSingleton<IPackageManager, DnfPackageManager>();
                break;
            default:
                builder.Services.AddSingleton<SimulatedPackageManager>();
                builder.Services.AddSingleton<IPackageManager>(services => services.GetRequiredService<SimulatedPackageManager>());
                break;
        }

        return builder;
    }
}

/// <summary>Turns Agent:Backend (<c>auto</c>, <c>apt</c>, <c>dnf</c>, <c>simulated</c>) into a concrete backend name.</summary>
public static class BackendSelection
{
    /// <exception cref="InvalidOperationException">Unknown value, or <c>auto</c> on a host with neither apt nor rpm.</exception>
    public static string Resolve(string configured, Func<string, bool> fileExists)
    {
        ArgumentNullException.ThrowIfNull(fileExists);
        switch (configured?.Trim().ToUpperInvariant())
        {
            case "APT":
                return "apt";
            case "DNF":
                return "dnf";
            case "SIMULATED":
                return "simulated";
            case "AUTO" or "" or null:
                if (fileExists(AptCommands.DpkgQuery) && fileExists(AptCommands.AptGet))
                {
                    return "apt";
                }

                if (fileExists(DnfCommands.DnfPath) || fileExists(DnfCommands.Rpm))
                {
                    return "dnf";
                }

                throw new InvalidOperationException(
                    "Agent:Backend is 'auto' but neither apt (/usr/bin/dpkg-query and /usr/bin/apt-get) nor dnf/rpm (/usr/bin/dnf, /usr/bin/rpm) exists; set Agent:Backend to apt, dnf or simulated.");
            default:
                throw new InvalidOperationException($"Agent:Backend '{configured}' is not one of auto, apt, dnf, simulated.");
        }
    }
}
