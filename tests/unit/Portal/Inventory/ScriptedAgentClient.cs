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
    private readonly ConcurrentQueue<(Guid HostId, PatchSelection Selection)> _selections = new();

    public IReadOnlyList<(Guid HostId, string Call)> Calls => [.. _calls];

    /// <summary>The selections dry runs and applies were asked for, in order.</summary>
    public IReadOnlyList<(Guid HostId, PatchSelection Selection)> Selections => [.. _selections];

    private readonly ConcurrentQueue<(Guid HostId, string? Key)> _applyKeys = new();

    /// <summary>The Idempotency-Key of each apply request, in order.</summary>
    public IReadOnlyList<(Guid HostId, string? Key)> ApplyKeys => [.. _applyKeys];

    public AgentScript For(Guid hostId) => _scripts.GetOrAdd(hostId, _ => new AgentScript());

    public Task<AgentCallResult<HealthResponse>> GetHealthAsync(AgentEndpoint agent, CancellationToken cancellationToken) =>
        Answer(agent, "health", s => s.Health);

    public Task<AgentCallResult<SystemInfoDto>> GetSystemInfoAsync(AgentEndpoint agent, CancellationToken cancellationToken) =>
        Answer(agent, "system-info", s => s.SystemInfo);

    public Task<AgentCallResult<IReadOnlyList<PackageDto>>> ListPackagesAsync(AgentEndpoint agent, CancellationToken cancellationToken) =>
        Answer(agent, "packages", s => s.Packages);

    public Task<AgentCallResult<IReadOnlyList<PatchDto>>> ListPatchesAsync(AgentEndpoint agent, CancellationToken cancellationToken) =>
        Answer(agent, "patches", s => s.Patches);

    public async Task<AgentCallResult<DryRunManifest>> DryRunPatchesAsync(AgentEndpoint agent, PatchSelection selection, CancellationToken cancellationToken)
    {
        _selections.Enqueue((agent.HostId, selection));
        if (For(agent.HostId).BeforeDryRun is { } before)
        {
            await before(cancellationToken);
        }

        return await Answer(agent, "dry-run", s => s.DryRun);
    }

    public Task<AgentCallResult<JobAccepted>> ApplyPatchesAsync(AgentEndpoint agent, PatchSelection selection, string? idempotencyKey, CancellationToken cancellationToken)
    {
        _selections.Enqueue((agent.HostId, selection));
        _applyKeys.Enqueue((agent.HostId, idempotencyKey));
        return Answer(agent, "apply", s => s.Apply);
    }

    public Task<AgentCallResult<JobDetail>> GetJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken) =>
        Answer(agent, $"job {jobId}", s => s.Job);

    public Task<AgentCallResult<IReadOnlyList<JobSummary>>> ListJobsAsync(AgentEndpoint agent, string operation, int limit, CancellationToken cancellationToken) =>
        Answer(agent, $"jobs {operation}", s => s.Jobs);

    public Task<AgentCallResult<JobAccepted>> RebootAsync(AgentEndpoint agent, string reason, CancellationToken cancellationToken) =>
        Answer(agent, "reboot", s => s.Reboot);

    public Task<AgentCallResult<JobAccepted>> RollbackJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken) =>
        Answer(agent, $"rollback {jobId}", s => s.Rollback);

    public Task<AgentCallResult<JobDeleteResponse>> CancelJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken) =>
        Answer(agent, $"cancel {jobId}", s => s.Cancel);

    public async IAsyncEnumerable<AgentJobEvent> FollowJobAsync(AgentEndpoint agent, string jobId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _calls.Enqueue((agent.HostId, $"follow {jobId}"));
        var script = For(agent.HostId);
        if (script.OnFollow is { } hook)
        {
            await hook(jobId, cancellationToken);
        }

        foreach (var item in script.Stream(jobId))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return item;
        }
    }

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

    public static JobAccepted Accepted(string jobId, string operation) =>
        new() { JobId = jobId, Status = JobStatuses.Pending, Operation = operation, CreatedAt = DateTimeOffset.UnixEpoch };

    public static JobDetail Finished(string jobId, string status, IReadOnlyList<PackageChange>? changes = null) => new()
    {
        JobId = jobId,
        Operation = JobOperations.PatchApply,
        Status = status,
        Progress = 100,
        ProgressPercent = 100,
        CreatedAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
        Changes = changes ?? [],
    };

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

    public AgentCallResult<DryRunManifest> DryRun { get; set; } = AgentCallResult.Ok(new DryRunManifest([], false));

    /// <summary>Awaited before a dry run answers (to hold agents busy, e.g. to count how many are asked at once).</summary>
    public Func<CancellationToken, Task>? BeforeDryRun { get; set; }

    public AgentCallResult<JobAccepted> Apply { get; set; } = AgentCallResult.Ok(ScriptedAgentClient.Accepted("job-1", JobOperations.PatchApply));

    public AgentCallResult<JobDetail> Job { get; set; } = AgentCallResult.Ok(ScriptedAgentClient.Finished("job-1", JobStatuses.Completed));

    public AgentCallResult<IReadOnlyList<JobSummary>> Jobs { get; set; } = AgentCallResult.Ok<IReadOnlyList<JobSummary>>([]);

    public AgentCallResult<JobAccepted> Reboot { get; set; } = AgentCallResult.Ok(ScriptedAgentClient.Accepted("reboot-1", JobOperations.Reboot));

    public AgentCallResult<JobAccepted> Rollback { get; set; } = AgentCallResult.Ok(ScriptedAgentClient.Accepted("rollback-1", JobOperations.Rollback));

    public AgentCallResult<JobDeleteResponse> Cancel { get; set; } = AgentCallResult.Ok(new JobDeleteResponse("job-1", JobStatuses.Running, JobStatuses.Cancelled, "cancelled"));

    /// <summary>Runs when a job is followed, before the stream yields (a test holds a job "running" with it).</summary>
    public Func<string, CancellationToken, Task>? OnFollow { get; set; }

    /// <summary>What following a job yields; by default the job completes at once with <see cref="Job"/>'s detail (or the stream is lost when that failed).</summary>
    public Func<string, IEnumerable<AgentJobEvent>> Stream { get; set; }

    public AgentScript() => Stream = _ => Job.Failure is { } failure ? [new AgentJobStreamLost(failure)] : [new AgentJobCompleted(Job.Value!)];

    /// <summary>Every call fails with this (the agent is down, slow, refuses us or talks nonsense).</summary>
    public void FailWith(AgentFailure failure)
    {
        Health = AgentCallResult.Fail<HealthResponse>(failure);
        SystemInfo = AgentCallResult.Fail<SystemInfoDto>(failure);
        Packages = AgentCallResult.Fail<IReadOnlyList<PackageDto>>(failure);
        Patches = AgentCallResult.Fail<IReadOnlyList<PatchDto>>(failure);
        DryRun = AgentCallResult.Fail<DryRunManifest>(failure);
        Apply = AgentCallResult.Fail<JobAccepted>(failure);
        Job = AgentCallResult.Fail<JobDetail>(failure);
        Jobs = AgentCallResult.Fail<IReadOnlyList<JobSummary>>(failure);
        Reboot = AgentCallResult.Fail<JobAccepted>(failure);
        Rollback = AgentCallResult.Fail<JobAccepted>(failure);
        Cancel = AgentCallResult.Fail<JobDeleteResponse>(failure);
    }
}
