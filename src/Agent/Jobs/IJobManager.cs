using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Agent.Jobs;

/// <summary>Creates, runs, finds, cancels and rolls back jobs. The API layer talks only to this.</summary>
public interface IJobManager
{
    /// <summary>Records a pending job (persisted before this returns) and queues it.</summary>
    JobDetail Submit(JobRequest request);

    JobDetail? Find(string jobId);

    /// <summary>
    /// The answer to an earlier request that carried <paramref name="idempotencyKey"/>: the job it started, as it is
    /// now, with the request it was started by; null when no kept job carries the key.
    /// </summary>
    (JobDetail Job, JobRequest Request)? FindByIdempotencyKey(string idempotencyKey);

    JobListResponse List(JobQuery query);

    /// <summary>Cancels a pending or running job (killing its process tree), or deletes a finished one.</summary>
    Task<JobDeleteResponse?> CancelOrDeleteAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>Queues a job that restores the versions the finished job <paramref name="jobId"/> recorded before it ran.</summary>
    /// <param name="requestedBy">The client identity that asked, recorded on the rollback job.</param>
    /// <param name="requestId">The id of the request that asked, recorded on the rollback job.</param>
    RollbackResult Rollback(string jobId, string? requestedBy = null, string? requestId = null);

    /// <summary>True while a package job is pending or running (a reboot then needs <c>force</c>).</summary>
    bool HasActivePackageJob { get; }
}

/// <summary>What a caller asks a job to do.</summary>
/// <param name="Operation">One of <see cref="JobOperations"/>.</param>
/// <param name="Package">For package jobs: what the backend executes. Null for a reboot.</param>
public sealed record JobRequest(string Operation, PackageOperation? Package)
{
    /// <summary>The packages as the caller named them, echoed on the job.</summary>
    public IReadOnlyList<PackageSpec> Packages { get; init; } = [];

    /// <summary>Reboot after a successful package job (patch_apply with auto reboot), or the reboot job itself.</summary>
    public bool RebootAfter { get; init; }

    public TimeSpan RebootDelay { get; init; }

    /// <summary>For reboot jobs: when the reboot command runs.</summary>
    public DateTimeOffset? ScheduledAt { get; init; }

    public string? Reason { get; init; }

    public int? PatchesCount { get; init; }

    public bool? RequiresReboot { get; init; }

    public string? TargetVersion { get; init; }

    /// <summary>The client identity (certificate CN) that asked, for the job's record.</summary>
    public string? RequestedBy { get; init; }

    /// <summary>The id of the request that asked (the caller's X-Request-Id when well-formed): on the job's record and its log lines.</summary>
    public string? RequestId { get; init; }

    /// <summary>
    /// The caller's Idempotency-Key: a second request with the same key gets the job the first one started instead of
    /// a second job (a portal that lost track of its request sends it again safely).
    /// </summary>
    public string? IdempotencyKey { get; init; }
}

public sealed record JobQuery(string? Status, string? Operation, int Limit, int Offset, string Sort, bool Descending);

public enum RollbackOutcome
{
    Queued,
    NotFound,

    /// <summary>The job is not finished, changed nothing, or is not of a kind that can be rolled back.</summary>
    Conflict,
}

public sealed record RollbackResult(RollbackOutcome Outcome, JobDetail? Job, string? Message);
