using System.Globalization;
using System.Runtime.InteropServices;
using PatchPortal.Agent.Contracts;

namespace PatchPortal.Agent.Machine;

/// <summary>Facts about the host, read from /etc/os-release and /proc (no commands run).</summary>
public sealed class SystemInfoProvider(TimeProvider time)
{
    public static string AgentVersion { get; } = typeof(SystemInfoProvider).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public SystemInfoDto Read(string packageManager, bool rebootRequired)
    {
        var osRelease = ParseOsRelease(ReadOrNull("/etc/os-release") ?? ReadOrNull("/usr/lib/os-release") ?? string.Empty);
        var uptime = UptimeSeconds();
        var architecture = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant();
        return new SystemInfoDto
        {
            Hostname = Environment.MachineName,
            Os = new OsInfo(
                osRelease.GetValueOrDefault("NAME") ?? "Linux",
                osRelease.GetValueOrDefault("VERSION_ID") ?? osRelease.GetValueOrDefault("VERSION") ?? "unknown",
                osRelease.GetValueOrDefault("VERSION_CODENAME"),
                architecture),
            Kernel = new KernelInfo(ReadOrNull("/proc/sys/kernel/osrelease")?.Trim() ?? Environment.OSVersion.Version.ToString(), architecture),
            UptimeSeconds = uptime,
            LastBoot = time.GetUtcNow().AddSeconds(-uptime),
            PackageManager = packageManager,
            ApiVersion = "v1",
            ServiceStatus = "running",
            RebootRequired = rebootRequired,
            MachineId = ReadOrNull("/etc/machine-id")?.Trim(),
            AgentVersion = AgentVersion,
        };
    }

    /// <summary>Parses os-release(5): KEY=value lines, values optionally quoted.</summary>
    public static Dictionary<string, string> ParseOsRelease(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || line.StartsWith('#'))
            {
                continue;
            }

            var value = line[(equals + 1)..].Trim();
            if (value.Length >= 2 && (value[0] is '"' or '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            values[line[..equals].Trim()] = value;
        }

        return values;
    }

    private static long UptimeSeconds()
    {
        var text = ReadOrNull("/proc/uptime");
        return text is not null && double.TryParse(text.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? (long)seconds
            : Environment.TickCount64 / 1000;
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
