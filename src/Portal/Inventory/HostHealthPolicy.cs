using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Inventory;

/// <summary>
/// How a poll's outcome changes a host's health. A failed poll makes a host Degraded; only
/// <c>unreachableAfter</c> failures in a row make it Unreachable (hysteresis), and one answer resets the count.
/// </summary>
public static class HostHealthPolicy
{
    public const string PendingEnrolmentReason = "Waiting for the agent to enrol (no certificate issued yet)";

    public static void RecordPendingEnrolment(ManagedHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        host.Health = HostHealth.PendingEnrolment;
        host.HealthReason = PendingEnrolmentReason;
        host.ConsecutiveFailures = 0;
    }

    /// <summary>The agent answered /health: its own verdict decides, and the failure count starts again.</summary>
    public static void RecordAnswer(ManagedHost host, string agentStatus, IEnumerable<string> failingChecks, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(host);
        host.ConsecutiveFailures = 0;
        host.LastSeenAt = now;
        if (string.Equals(agentStatus, "healthy", StringComparison.OrdinalIgnoreCase))
        {
            host.Health = HostHealth.Healthy;
            host.HealthReason = null;
            return;
        }

        host.Health = HostHealth.Degraded;
        var checks = string.Join(", ", failingChecks);
        host.HealthReason = Truncate(checks.Length == 0 ? $"Agent reports {agentStatus}" : $"Agent reports {agentStatus}: {checks}");
    }

    /// <summary>The agent answered /health but an inventory call failed: it is reachable, so no step towards Unreachable.</summary>
    public static void RecordInventoryFailure(ManagedHost host, AgentFailure failure, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(failure);
        host.ConsecutiveFailures = 0;
        host.LastSeenAt = now;
        host.Health = HostHealth.Degraded;
        host.HealthReason = Truncate($"Inventory failed: {Describe(failure)}");
    }

    /// <summary>The agent could not be asked (unreachable, timeout, certificate refused, garbage).</summary>
    public static void RecordFailure(ManagedHost host, AgentFailure failure, int unreachableAfter)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentOutOfRangeException.ThrowIfLessThan(unreachableAfter, 1);
        host.ConsecutiveFailures++;
        host.Health = host.ConsecutiveFailures >= unreachableAfter ? HostHealth.Unreachable : HostHealth.Degraded;
        host.HealthReason = Truncate(
            $"{Describe(failure)} ({Math.Min(host.ConsecutiveFailures, unreachableAfter)} of {unreachableAfter} failed polls)");
    }

    public static string Describe(AgentFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var kind = failure.Kind switch
        {
            AgentFailureKind.NotEnrolled => "Not enrolled",
            AgentFailureKind.Unreachable => "Unreachable",
            AgentFailureKind.Timeout => "Timed out",
            AgentFailureKind.CertificateRejected => "Certificate rejected",
            AgentFailureKind.AgentError => failure.ErrorCode is null ? "Agent error" : $"Agent error {failure.ErrorCode}",
            AgentFailureKind.InvalidResponse => "Invalid response",
            _ => failure.Kind.ToString(),
        };
        return string.IsNullOrWhiteSpace(failure.Message) ? kind : $"{kind}: {failure.Message}";
    }

    // The column holds 1000 characters; an agent's message is not trusted to be short.
    private static string Truncate(string reason) => reason.Length <= 1000 ? reason : reason[..997] + "...";
}
