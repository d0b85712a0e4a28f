using System.Text.RegularExpressions;
using PatchPortal.Agent.Contracts;

namespace PatchPortal.Agent.Machine;

public enum ServiceLookup
{
    Found,
    NotFound,

    /// <summary>systemd cannot be asked (not installed, or not the init system here).</summary>
    Unavailable,
}

/// <summary>Reads one systemd unit's state with <c>systemctl show</c>, for the portal's health gates.</summary>
public sealed partial class ServiceStatusReader(ICommandRunner runner)
{
    private const string Properties = "Id,Description,LoadState,ActiveState,SubState,UnitFileState,MainPID";

    /// <summary>Unit names: systemd's own characters, not starting with '-', at most 256.</summary>
    public static bool IsValidUnitName(string? name) => name is { Length: > 0 and <= 256 } && UnitNameRegex().IsMatch(name);

    /// <summary>The exact argument list; <c>--</c> keeps the name from ever being read as an option.</summary>
    public static CommandSpec Command(string name) =>
        new("/usr/bin/systemctl", ["show", "--no-pager", "--property=" + Properties, "--", name]) { Timeout = TimeSpan.FromSeconds(10) };

    public async Task<(ServiceLookup Lookup, ServiceStatusDto? Status, string? Problem)> ReadAsync(string name, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(Command(name), onLine: null, cancellationToken);
        if (result.NotFound)
        {
            return (ServiceLookup.Unavailable, null, "systemctl is not installed");
        }

        if (!result.Succeeded)
        {
            return (ServiceLookup.Unavailable, null, FirstLine(result.Stderr) ?? $"systemctl exited with {result.ExitCode}");
        }

        return Parse(name, result.Stdout) is { } status ? (ServiceLookup.Found, status, null) : (ServiceLookup.NotFound, null, null);
    }

    /// <summary>Parses <c>systemctl show</c> KEY=value output; null when the unit does not exist.</summary>
    public static ServiceStatusDto? Parse(string name, string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
        var load = values.GetValueOrDefault("LoadState") ?? "not-found";
        if (load == "not-found")
        {
            return null;
        }

        var active = values.GetValueOrDefault("ActiveState") ?? "unknown";
        var sub = values.GetValueOrDefault("SubState");
        return new ServiceStatusDto
        {
            Name = values.GetValueOrDefault("Id") ?? name,
            DisplayName = values.GetValueOrDefault("Description"),
            ActiveState = active,
            SubState = sub,
            LoadState = load,
            EnabledState = values.GetValueOrDefault("UnitFileState"),
            MainPid = int.TryParse(values.GetValueOrDefault("MainPID"), System.Globalization.CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null,
            Healthy = load == "loaded" && active == "active",
        };
    }

    private static string? FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();

    [GeneratedRegex(@"\A[A-Za-z0-9:_.@\\][A-Za-z0-9:_.@\\-]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex UnitNameRegex();
}
