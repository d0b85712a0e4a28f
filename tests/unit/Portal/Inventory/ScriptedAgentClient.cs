using System.Collections.Concurrent;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;

namespace PatchPortal.Tests.Unit.Portal.Inventory;

/// <summary>
/// An <see cref="IAgentClient"/> that answers what a test scripted per host (the real mTLS client is tested
/// end-to-end against real agents). Unscripted hosts answer as a healthy agent with nothing installed.
/// </summary>
internal sealed class ScriptedAgentClient : IAgentClient
{
    private readonly ConcurrentDictionary<Guid, AgentScript> _scripts = new();
    private readonly ConcurrentQueue<(Guid HostId, string Call)> _calls = new();

    public IReadOnlyList<(Guid HostId, string Call)> Calls => [.. _calls];

    public AgentScript For(Guid hostId) => _scripts.GetOrAdd(hostId, _ => new AgentScript());

    public Task<AgentCallResult<HealthResponse>> GetHealthAsync(AgentEndpoint agent, CancellationToken cancellationToken) =>
        Answer(agent, "health", s => s.Health);

    public Task<AgentCallResult<SystemInfoDto>> GetSystemInfoAsync(AgentEndpoint agent, CancellationToken cancellationToken) =>
        Answer(agent, "system-info", s => s.SystemInfo);

    public Task<AgentCallResult<IReadOnlyList<PackageDto>>> ListPackagesAsync(AgentEndpoint agent, CancellationToken cancellationToken) =>
        Answer(agent, "packages", s => s.Packages);

    public Task<AgentCallResult<IReadOnlyList<PatchDto>>> ListPatchesAsync(AgentEndpoint agent, CancellationToken cancellationToken) =>
        Answer(agent, "patches", s => s.Patches);

    private Task<T> Answer<T>(AgentEndpoint agent, string call, Func<AgentScript, T> pick)
    {
        _calls.Enqueue((agent.HostId, call));
        return Task.FromResult(pick(For(agent.HostId)));
    }

    public static HealthResponse Healthy(bool rebootRequired = false) => new()
    {
        Status = "healthy",
        Version = "1.0.0",
        RebootRequired = rebootRequired,
        Checks = new Dictionary<string, HealthCheckResult> { ["config"] = new("ok", null) },
    };

    public static SystemInfoDto Info(string os = "Debian GNU/Linux", string version = "13") => new()
    {
        Hostname = "web-1",
        Os = new OsInfo(os, version, "trixie", "amd64"),
        Kernel = new KernelInfo("6.12.0-1-amd64", "x86_64"),
        PackageManager = "apt",
        ApiVersion = "v1",
        ServiceStatus = "running",
    };

    public static PackageDto Package(string name, string version, string architecture = "amd64") =>
        new() { Name = name, Version = version, Status = "installed", Architecture = architecture };

    public static PatchDto Patch(string package, string from, string to, bool security) => new()
    {
        Id = $"{package}-{to}",
        Name = package,
        Severity = security ? "high" : "low",
        Status = "available",
        AffectedPackages = [package],
        Security = security,
        CurrentVersion = from,
        CandidateVersion = to,
        Source = security ? "trixie-security" : "trixie-updates",
    };
}

/// <summary>What one host's agent answers; tests change it between polls.</summary>
internal sealed class AgentScript
{
    public AgentCallResult<HealthResponse> Health { get; set; } = AgentCallResult.Ok(ScriptedAgentClient.Healthy());

    public AgentCallResult<SystemInfoDto> SystemInfo { get; set; } = AgentCallResult.Ok(ScriptedAgentClient.Info());

    public AgentCallResult<IReadOnlyList<PackageDto>> Packages { get; set; } = AgentCallResult.Ok<IReadOnlyList<PackageDto>>([]);

    public AgentCallResult<IReadOnlyList<PatchDto>> Patches { get; set; } = AgentCallResult.Ok<IReadOnlyList<PatchDto>>([]);

    /// <summary>Every call fails with this (the agent is down, slow, refuses us or talks nonsense).</summary>
    public void FailWith(AgentFailure failure)
    {
        Health = AgentCallResult.Fail<HealthResponse>(failure);
        SystemInfo = AgentCallResult.Fail<SystemInfoDto>(failure);
        Packages = AgentCallResult.Fail<IReadOnlyList<PackageDto>>(failure);
        Patches = AgentCallResult.Fail<IReadOnlyList<PatchDto>>(failure);
    }
}
