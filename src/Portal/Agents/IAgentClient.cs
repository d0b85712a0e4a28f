using PatchPortal.Agent.Contracts;

namespace PatchPortal.Portal.Agents;

/// <summary>
/// The one way the portal talks to agents: HTTPS with the portal's client certificate, the agent's certificate checked
/// against the portal CA and the host's enrolled identity, timeouts, and retries only for idempotent calls.
/// Every failure is a result, never an exception: an unreachable or misbehaving agent must not crash a page or a job.
/// </summary>
public interface IAgentClient
{
    Task<AgentCallResult<HealthResponse>> GetHealthAsync(AgentEndpoint agent, CancellationToken cancellationToken);

    Task<AgentCallResult<SystemInfoDto>> GetSystemInfoAsync(AgentEndpoint agent, CancellationToken cancellationToken);

    /// <summary>Every installed package (the client pages through the agent's list).</summary>
    Task<AgentCallResult<IReadOnlyList<PackageDto>>> ListPackagesAsync(AgentEndpoint agent, CancellationToken cancellationToken);

    /// <summary>Every pending update, as the agent's patches.</summary>
    Task<AgentCallResult<IReadOnlyList<PatchDto>>> ListPatchesAsync(AgentEndpoint agent, CancellationToken cancellationToken);

    /// <summary>What applying <paramref name="selection"/> would change, without changing anything (the agent's dry run).</summary>
    Task<AgentCallResult<DryRunManifest>> DryRunPatchesAsync(AgentEndpoint agent, PatchSelection selection, CancellationToken cancellationToken);

    /// <summary>Starts a patch job; the agent never reboots on its own for the portal (reboots follow the plan's policy).</summary>
    Task<AgentCallResult<JobAccepted>> ApplyPatchesAsync(AgentEndpoint agent, PatchSelection selection, string? idempotencyKey, CancellationToken cancellationToken);

    Task<AgentCallResult<JobDetail>> GetJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken);

    /// <summary>The agent's most recent jobs of one operation (newest first, at most <paramref name="limit"/>).</summary>
    Task<AgentCallResult<IReadOnlyList<JobSummary>>> ListJobsAsync(AgentEndpoint agent, string operation, int limit, CancellationToken cancellationToken);

    Task<AgentCallResult<JobAccepted>> RebootAsync(AgentEndpoint agent, string reason, CancellationToken cancellationToken);

    /// <summary>Undoes a finished job by restoring the versions it recorded before.</summary>
    Task<AgentCallResult<JobAccepted>> RollbackJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken);

    /// <summary>Cancels a pending or running job (a finished one is deleted by the agent, so callers check first).</summary>
    Task<AgentCallResult<JobDeleteResponse>> CancelJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Follows one job over the agent's WebSocket: status changes and output lines as they come, then
    /// <see cref="AgentJobCompleted"/> with the final detail, and the sequence ends. A job that is already finished
    /// completes at once. When the stream cannot be opened or breaks, the sequence ends with
    /// <see cref="AgentJobStreamLost"/> and the caller falls back to polling <see cref="GetJobAsync"/>.
    /// </summary>
    IAsyncEnumerable<AgentJobEvent> FollowJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken);
}

/// <summary>Something the agent's job stream said about a followed job.</summary>
public abstract record AgentJobEvent;

public sealed record AgentJobStatusChanged(JobStatusPayload Status) : AgentJobEvent;

public sealed record AgentJobOutput(string Line) : AgentJobEvent;

public sealed record AgentJobCompleted(JobDetail Detail) : AgentJobEvent;

public sealed record AgentJobStreamLost(AgentFailure Failure) : AgentJobEvent;

/// <summary>
/// Which updates to apply on one host: named packages (empty = every pending update), or only security updates,
/// never the excluded names.
/// </summary>
public sealed record PatchSelection(IReadOnlyList<string> Packages, bool SecurityOnly, IReadOnlyList<string> ExcludePackages)
{
    public static PatchSelection All { get; } = new([], false, []);
}

/// <summary>Where and who an agent is: the host's address and port, and the fingerprint of the certificate the portal issued it.</summary>
public sealed record AgentEndpoint(Guid HostId, string Name, string Address, int Port, string? CertificateFingerprint);

public enum AgentFailureKind
{
    /// <summary>The host has no enrolled certificate yet.</summary>
    NotEnrolled,

    /// <summary>Connection refused, host unreachable, DNS failure.</summary>
    Unreachable,

    Timeout,

    /// <summary>The agent's certificate does not chain to the portal CA, is revoked, or belongs to another host.</summary>
    CertificateRejected,

    /// <summary>The agent answered with an error envelope (its code is in <see cref="AgentFailure.ErrorCode"/>).</summary>
    AgentError,

    /// <summary>The agent answered something that is not the contract's envelope.</summary>
    InvalidResponse,
}

public sealed record AgentFailure(AgentFailureKind Kind, string Message, string? ErrorCode = null)
{
    /// <summary>Worth retrying later: the agent may come back.</summary>
    public bool IsTransient => Kind is AgentFailureKind.Unreachable or AgentFailureKind.Timeout
        || (Kind == AgentFailureKind.AgentError && ErrorCode is "SERVICE_UNHEALTHY" or "RATE_LIMIT_EXCEEDED" or "INTERNAL_ERROR");
}

public sealed record AgentCallResult<T>(T? Value, AgentFailure? Failure)
{
    public bool Succeeded => Failure is null;
}

public static class AgentCallResult
{
    public static AgentCallResult<T> Ok<T>(T value) => new(value, null);

    public static AgentCallResult<T> Fail<T>(AgentFailure failure) => new(default, failure);
}
