using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Tests.Unit.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Runs;

/// <summary>An agent client that passes every call to the scripted one; subclasses change the calls a test is about.</summary>
internal class DelegatingAgentClient(IAgentClient inner) : IAgentClient
{
    public virtual Task<AgentCallResult<HealthResponse>> GetHealthAsync(AgentEndpoint agent, CancellationToken cancellationToken) => inner.GetHealthAsync(agent, cancellationToken);

    public virtual Task<AgentCallResult<SystemInfoDto>> GetSystemInfoAsync(AgentEndpoint agent, CancellationToken cancellationToken) => inner.GetSystemInfoAsync(agent, cancellationToken);

    public Task<AgentCallResult<IReadOnlyList<PackageDto>>> ListPackagesAsync(AgentEndpoint agent, CancellationToken cancellationToken) => inner.ListPackagesAsync(agent, cancellationToken);

    public Task<AgentCallResult<IReadOnlyList<PatchDto>>> ListPatchesAsync(AgentEndpoint agent, CancellationToken cancellationToken) => inner.ListPatchesAsync(agent, cancellationToken);

    public Task<AgentCallResult<DryRunManifest>> DryRunPatchesAsync(AgentEndpoint agent, PatchSelection selection, CancellationToken cancellationToken) => inner.DryRunPatchesAsync(agent, selection, cancellationToken);

    public virtual Task<AgentCallResult<JobAccepted>> ApplyPatchesAsync(AgentEndpoint agent, PatchSelection selection, string? idempotencyKey, CancellationToken cancellationToken) => inner.ApplyPatchesAsync(agent, selection, idempotencyKey, cancellationToken);

    public virtual Task<AgentCallResult<JobDetail>> GetJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken) => inner.GetJobAsync(agent, jobId, cancellationToken);

    public Task<AgentCallResult<IReadOnlyList<JobSummary>>> ListJobsAsync(AgentEndpoint agent, string operation, int limit, CancellationToken cancellationToken) => inner.ListJobsAsync(agent, operation, limit, cancellationToken);

    public virtual Task<AgentCallResult<JobAccepted>> RebootAsync(AgentEndpoint agent, string reason, CancellationToken cancellationToken) => inner.RebootAsync(agent, reason, cancellationToken);

    public Task<AgentCallResult<JobAccepted>> RollbackJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken) => inner.RollbackJobAsync(agent, jobId, cancellationToken);

    public Task<AgentCallResult<JobDeleteResponse>> CancelJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken) => inner.CancelJobAsync(agent, jobId, cancellationToken);

    public IAsyncEnumerable<AgentJobEvent> FollowJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken) => inner.FollowJobAsync(agent, jobId, cancellationToken);
}

/// <summary>Records the selection the run asks agents to apply.</summary>
internal sealed class SelectionRecorder(IAgentClient inner, Action<PatchSelection> seen) : DelegatingAgentClient(inner)
{
    public override Task<AgentCallResult<JobAccepted>> ApplyPatchesAsync(AgentEndpoint agent, PatchSelection selection, string? idempotencyKey, CancellationToken cancellationToken)
    {
        seen(selection);
        return base.ApplyPatchesAsync(agent, selection, idempotencyKey, cancellationToken);
    }
}

/// <summary>One host's apply calls answer in turn from <paramref name="next"/>.</summary>
internal sealed class ApplySequence(ScriptedAgentClient inner, Guid hostId, Func<AgentCallResult<JobAccepted>> next) : DelegatingAgentClient(inner)
{
    public override async Task<AgentCallResult<JobAccepted>> ApplyPatchesAsync(AgentEndpoint agent, PatchSelection selection, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var scripted = await base.ApplyPatchesAsync(agent, selection, idempotencyKey, cancellationToken);
        return agent.HostId == hostId ? next() : scripted;
    }
}

/// <summary>One host's job polls answer in turn from <paramref name="next"/>.</summary>
internal sealed class JobSequence(ScriptedAgentClient inner, Guid hostId, Func<JobDetail> next) : DelegatingAgentClient(inner)
{
    public override async Task<AgentCallResult<JobDetail>> GetJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken)
    {
        var scripted = await base.GetJobAsync(agent, jobId, cancellationToken);
        return agent.HostId == hostId ? AgentCallResult.Ok(next()) : scripted;
    }
}

/// <summary>
/// A host that really reboots: after the reboot request it is unreachable for <paramref name="downFor"/>, then
/// answers with a fresh uptime and the new kernel (and <see cref="HealthAfter"/>, healthy unless a test says otherwise).
/// </summary>
internal sealed class RebootingAgent(ScriptedAgentClient inner, Guid hostId, TimeProvider time, TimeSpan downFor, string newKernel) : DelegatingAgentClient(inner)
{
    private DateTimeOffset? _rebootAt;

    public HealthResponse HealthAfter { get; set; } = ScriptedAgentClient.Healthy();

    private bool Down => _rebootAt is { } at && time.GetUtcNow() < at + downFor;

    private bool Back => _rebootAt is { } at && time.GetUtcNow() >= at + downFor;

    public override Task<AgentCallResult<JobAccepted>> RebootAsync(AgentEndpoint agent, string reason, CancellationToken cancellationToken)
    {
        if (agent.HostId == hostId)
        {
            _rebootAt = time.GetUtcNow();
        }

        return base.RebootAsync(agent, reason, cancellationToken);
    }

    public override async Task<AgentCallResult<SystemInfoDto>> GetSystemInfoAsync(AgentEndpoint agent, CancellationToken cancellationToken)
    {
        var scripted = await base.GetSystemInfoAsync(agent, cancellationToken);
        if (agent.HostId != hostId || _rebootAt is null)
        {
            return scripted;
        }

        if (Down)
        {
            return AgentCallResult.Fail<SystemInfoDto>(new AgentFailure(AgentFailureKind.Unreachable, "connection refused"));
        }

        var uptime = (long)(time.GetUtcNow() - (_rebootAt.Value + downFor)).TotalSeconds;
        return AgentCallResult.Ok(ScriptedAgentClient.Info() with { UptimeSeconds = uptime, Kernel = new KernelInfo(newKernel, "x86_64") });
    }

    public override async Task<AgentCallResult<HealthResponse>> GetHealthAsync(AgentEndpoint agent, CancellationToken cancellationToken)
    {
        var scripted = await base.GetHealthAsync(agent, cancellationToken);
        return agent.HostId != hostId || _rebootAt is null ? scripted
            : Down ? AgentCallResult.Fail<HealthResponse>(new AgentFailure(AgentFailureKind.Unreachable, "connection refused"))
            : AgentCallResult.Ok(HealthAfter);
    }

    public override async Task<AgentCallResult<JobDetail>> GetJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken)
    {
        var scripted = await base.GetJobAsync(agent, jobId, cancellationToken);
        return agent.HostId == hostId && Down
            ? AgentCallResult.Fail<JobDetail>(new AgentFailure(AgentFailureKind.Unreachable, "connection refused"))
            : scripted;
    }

    internal bool HasReturned => Back;
}
