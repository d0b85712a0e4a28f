using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Inventory;

/// <summary>What the health and refresh jobs share.</summary>
internal static class HostPolling
{
    public static AgentEndpoint EndpointOf(ManagedHost host) =>
        new(host.Id, host.Name, host.Address, host.AgentPort, host.AgentCertificateFingerprint);

    public static IEnumerable<string> FailingChecks(HealthResponse health) =>
        health.Checks.Where(c => !string.Equals(c.Value.Status, "ok", StringComparison.OrdinalIgnoreCase))
            .OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => string.IsNullOrWhiteSpace(c.Value.Message) ? c.Key : $"{c.Key} ({c.Value.Message})");

    public static HealthSample SampleOf(ManagedHost host, DateTimeOffset at, int? latency) => new()
    {
        HostId = host.Id,
        At = at,
        Health = host.Health,
        Reason = host.HealthReason,
        LatencyMilliseconds = latency,
    };
}
