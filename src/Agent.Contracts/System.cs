using System.Collections.ObjectModel;

namespace PatchPortal.Agent.Contracts;

public sealed record HealthCheckResult(string Status, string? Message);

public sealed record HealthResponse
{
    public required string Status { get; init; }
    public required string Version { get; init; }
    public long UptimeSeconds { get; init; }
    public IReadOnlyDictionary<string, HealthCheckResult> Checks { get; init; } = ReadOnlyDictionary<string, HealthCheckResult>.Empty;

    // ext
    public bool RebootRequired { get; init; }
    public DateTimeOffset? CertificateExpiresAt { get; init; }
}

public sealed record OsInfo(string Name, string Version, string? Codename, string Architecture);

public sealed record KernelInfo(string Version, string Architecture);

public sealed record SystemInfoDto
{
    public required string Hostname { get; init; }
    public required OsInfo Os { get; init; }
    public required KernelInfo Kernel { get; init; }
    public long UptimeSeconds { get; init; }
    public DateTimeOffset? LastBoot { get; init; }
    public required string PackageManager { get; init; }
    public required string ApiVersion { get; init; }
    public required string ServiceStatus { get; init; }

    // ext
    public bool RebootRequired { get; init; }
    public string? MachineId { get; init; }
    public string? AgentVersion { get; init; }
}

public sealed record RebootRequest
{
    public int? DelaySeconds { get; init; }
    public bool Force { get; init; }
    public string? Reason { get; init; }
    public bool AcknowledgePackageDatabaseCorruptionRisk { get; init; }
}

public sealed record ServiceStatusDto
{
    public required string Name { get; init; }
    public string? DisplayName { get; init; }
    public required string ActiveState { get; init; }
    public string? SubState { get; init; }
    public required string LoadState { get; init; }
    public string? EnabledState { get; init; }
    public int? MainPid { get; init; }
    public bool Healthy { get; init; }
}
