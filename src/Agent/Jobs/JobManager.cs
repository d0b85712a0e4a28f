using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Machine;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Agent.Jobs;

/// <summary>Creates, queues, runs, cancels, rolls back and expires jobs.</summary>
/// <remarks>
/// Concurrency model: every job has its own lock (<see cref="Job.Sync"/>) and every change to a job, its file and
/// the events about it happen under that lock, so the state machine decides races (a cancel and the worker picking
/// the job up, for instance) in one place. Package jobs go through one queue read by one loop
/// (<see cref="RunQueueAsync"/>): Agent:Jobs:MaxConcurrent is 1 because the package database has one lock, and a
/// single reader makes "one mutating job at a time" true by construction. Reboot jobs do not touch the package
/// database; each waits for its time on its own task.
/// </remarks>
public sealed partial class JobManager : IJobManager, IDisposable
{
    /// <summary>How long a cancel of a running job waits for the job to stop before answering.</summary>
    internal static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(30);

    /// <summary>How often a running job's new log lines are saved.</summary>
    internal static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan SnapshotTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan RebootCommandTimeout = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JobRuntime> _active = new(StringComparer.Ordinal);
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();

    // Serializes the look-up and creation of keyed jobs: two requests with one key must not both start a job.
    private readonly Lock _keyed = new();
    private readonly JobStore _store;
    private readonly IPackageManager _packages;
    private readonly ICommandRunner _runner;
    private readonly JobEventHub _hub;
    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<JobManager> _logger;

    public JobManager(
        JobStore store,
        IPackageManager packages,
        ICommandRunner runner,
        JobEventHub hub,
        IOptions<AgentOptions> options,
        TimeProvider time,
        ILogger<JobManager> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _packages = packages;
        _runner = runner;
        _hub = hub;
        _options = options.Value;
        _time = time;
        _logger = logger;
        foreach (var job in store.LoadAll())
        {
            _jobs[job.Id] = job;
        }
    }

    /// <remarks>
    /// Asked on every health check: only the pending and running jobs are looked at (enumerating the concurrent
    /// dictionary takes no lock), not every job the agent remembers.
    /// </remarks>
    public bool HasActivePackageJob
    {
        get
        {
            foreach (var (id, _) in _active)
            {
                if (_jobs.TryGetValue(id, out var job) && IsActivePackageJob(job))
                {
                    return true;
                }
            }

            return false;

            static bool IsActivePackageJob(Job job)
            {
                lock (job.Sync)
                {
                    return job.ExclusiveMode && !job.IsFinal;
                }
            }
        }
    }

    public JobDetail Submit(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.IdempotencyKey is not { } key)
        {
            return Submit(request, originalJobId: null);
        }

        lock (_keyed)
        {
            // Checked again under the lock: the caller's own look-up raced with another request carrying the key.
            return FindByIdempotencyKey(key)?.Job ?? Submit(request, originalJobId: null);
        }
    }

    public (JobDetail Job, JobRequest Request)? FindByIdempotencyKey(string idempotencyKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        var job = _jobs.Values.FirstOrDefault(j => string.Equals(j.IdempotencyKey, idempotencyKey, StringComparison.Ordinal));
        if (job is null)
        {
            return null;
        }

        lock (job.Sync)
        {
            return (job.ToDetail(), new JobRequest(job.Operation, job.PackageOperation)
            {
                Packages = job.Packages,
                TargetVersion = job.TargetVersion,
                PatchesCount = job.PatchesCount,
                RequiresReboot = job.RequiresReboot,
                RebootAfter = job.AutoReboot ?? false,
                Reason = job.Reason,
                IdempotencyKey = job.IdempotencyKey,
            });
        }
    }

    public JobDetail? Find(string jobId)
    {
        if (!_jobs.TryGetValue(jobId, out var job))
        {
            return null;
        }

        lock (job.Sync)
        {
            return job.ToDetail();
        }
    }

    /// <exception cref="ArgumentException">The status, operation or sort is not one <see cref="JobQueryValues"/> accepts.</exception>
    public JobListResponse List(JobQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!JobQueryValues.TryNormalizeStatus(query.Status, out var status))
        {
            throw new ArgumentException($"Unknown status: {query.Status}", nameof(query));
        }

        if (!JobQueryValues.TryNormalizeOperation(query.Operation, out var operation))
        {
            throw new ArgumentException($"Unknown operation: {query.Operation}", nameof(query));
        }

        if (!JobQueryValues.IsValidSort(query.Sort))
        {
            throw new ArgumentException($"Unknown sort: {query.Sort}", nameof(query));
        }

        var matching = new List<JobSummary>();
        foreach (var job in _jobs.Values)
        {
            lock (job.Sync)
            {
                if ((status is null || job.Status == status) && (operation is null || job.Operation == operation))
                {
                    matching.Add(job.ToSummary());
                }
            }
        }

        // Ties are broken by creation time and then id, so paging through an unchanging list is stable.
        Comparison<JobSummary> byKey = query.Sort switch
        {
            JobQueryValues.SortUpdatedAt => (a, b) => a.UpdatedAt.CompareTo(b.UpdatedAt),
            JobQueryValues.SortStatus => (a, b) => string.CompareOrdinal(a.Status, b.Status),
            _ => (a, b) => 0,
        };
        var ordered = matching
            .Order(Comparer<JobSummary>.Create((a, b) =>
            {
                var order = byKey(a, b);
                if (order == 0)
                {
                    order = a.CreatedAt.CompareTo(b.CreatedAt);
                }

                if (order == 0)
                {
                    order = string.CompareOrdinal(a.JobId, b.JobId);
                }

                return query.Descending ? -order : order;
            }))
            .Skip(Math.Max(0, query.Offset))
            .Take(Math.Max(0, query.Limit))
            .ToList();
        return new JobListResponse(ordered, matching.Count, query.Limit, query.Offset);
    }

    public async Task<JobDeleteResponse?> CancelOrDeleteAsync(string jobId, CancellationToken cancellationToken)
    {
        if (!_jobs.TryGetValue(jobId, out var job))
        {
            return null;
        }

        string previous;
        lock (job.Sync)
        {
            previous = job.Status;
            if (job.IsFinal)
            {
                Forget(job);
                return new JobDeleteResponse(jobId, previous, "deleted", "deleted");
            }

            if (previous == JobStatuses.Pending)
            {
                Transition(job, JobStatuses.Cancelled, "Cancelled before it started.");
            }
        }

        var runtime = _active.GetValueOrDefault(jobId);
        if (previous == JobStatuses.Pending)
        {
            // Wakes a reboot job waiting for its time; a queued package job is skipped when the worker reaches it.
            if (runtime is not null)
            {
                await runtime.Cancel.CancelAsync();
                Finish(jobId, runtime);
            }

            return new JobDeleteResponse(jobId, previous, JobStatuses.Cancelled, "cancelled");
        }

        if (runtime is not null)
        {
            // The runner sees the token, the backend kills the process tree, and the runner records "cancelled".
            await runtime.Cancel.CancelAsync();
            try
            {
                await runtime.Done.Task.WaitAsync(CancelWait, _time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Answered below with the state the job is in now.
            }
        }

        lock (job.Sync)
        {
            return new JobDeleteResponse(jobId, previous, job.Status, job.IsFinal ? "cancelled" : "cancel_requested");
        }
    }

    public RollbackResult Rollback(string jobId, string? requestedBy = null, string? requestId = null)
    {
        var notFound = new RollbackResult(RollbackOutcome.NotFound, null, $"Job {jobId} not found.");
        if (!_jobs.TryGetValue(jobId, out var original))
        {
            return notFound;
        }

        // The check and the link to the new job happen under the original's lock, so two concurrent requests cannot
        // both queue a rollback of the same job.
        lock (original.Sync)
        {
            if (original.Deleted)
            {
                return notFound; // deleted between the look-up and the lock: saving it now would bring its file back
            }

            if (!original.IsFinal)
            {
                return Conflict($"Job {jobId} is {original.Status}; only a finished job can be rolled back.");
            }

            if (original.Operation == JobOperations.Reboot || original.PackageOperation is null)
            {
                return Conflict($"Job {jobId} is a {original.Operation} job; it changed no package.");
            }

            if (original.Changes.Count == 0)
            {
                return Conflict($"Job {jobId} recorded no package changes; there is nothing to restore.");
            }

            if (original.RollbackJobId is { } previousRollback && _jobs.TryGetValue(previousRollback, out var rollbackJob))
            {
                lock (rollbackJob.Sync)
                {
                    // A rollback that failed or was cancelled may be tried again; one that is queued, running or done may not.
                    if (rollbackJob.Status is JobStatuses.Pending or JobStatuses.Running or JobStatuses.Completed)
                    {
                        return Conflict($"Job {jobId} is already rolled back by job {previousRollback} ({rollbackJob.Status}).");
                    }
                }
            }

            var targets = original.Changes.Select(change => new PackageTarget(change.Package, change.Before)).ToList();
            var operation = new PackageOperation(OperationKind.Rollback, targets) { AllowDowngrade = true };
            var request = new JobRequest(JobOperations.Rollback, operation)
            {
                Packages = [.. targets.Select(target => new PackageSpec { Name = target.Name, Version = target.Version })],
                Reason = $"Rollback of job {jobId}",
                RequestedBy = requestedBy,
                RequestId = requestId,
            };
            var detail = Submit(request, originalJobId: jobId);
            original.RollbackJobId = detail.JobId;
            original.UpdatedAt = _time.GetUtcNow();
            TrySave(original);
            return new RollbackResult(RollbackOutcome.Queued, detail, null);
        }

        static RollbackResult Conflict(string message) => new(RollbackOutcome.Conflict, null, message);
    }

    /// <summary>Starts sending <paramref name="jobId"/>'s events to <paramref name="subscription"/>, beginning with its current state.</summary>
    /// <returns>False when there is no such job.</returns>
    internal bool Watch(JobSubscription subscription, string jobId)
    {
        if (!_jobs.TryGetValue(jobId, out var job))
        {
            return false;
        }

        // Under the job's lock no event about it can be published, so the snapshot and the live events that follow
        // it arrive in order.
        lock (job.Sync)
        {
            subscription.Watch(jobId);
            subscription.TryEnqueue(JobEventHub.Serialize(WsMessageTypes.JobStatus, job.ToStatusPayload()));
            if (job.IsFinal)
            {
                subscription.TryEnqueue(JobEventHub.Serialize(WsMessageTypes.JobComplete, job.ToDetail()));
            }
        }

        return true;
    }

    /// <summary>Deletes finished jobs older than Agent:Jobs:RetentionDays.</summary>
    /// <returns>How many were deleted.</returns>
    internal int PurgeExpired()
    {
        var cutoff = _time.GetUtcNow() - TimeSpan.FromDays(_options.Jobs.RetentionDays);
        var deleted = 0;
        foreach (var job in _jobs.Values)
        {
            lock (job.Sync)
            {
                if (!job.Deleted && job.IsFinal && (job.CompletedAt ?? job.UpdatedAt) < cutoff)
                {
                    Forget(job);
                    deleted++;
                }
            }
        }

        if (deleted > 0)
        {
            _logger.RetentionDeleted(deleted, _options.Jobs.RetentionDays);
        }

        return deleted;
    }

    /// <summary>Stops reboot timers and waits for their tasks; the package queue stops with its own token.</summary>
    internal async Task StopAsync()
    {
        await _stopping.CancelAsync();
        var running = _active.Values.Select(runtime => runtime.Task).OfType<Task>().ToList();
        await Task.WhenAll(running);
    }

    public void Dispose() => _stopping.Dispose();

    private JobDetail Submit(JobRequest request, string? originalJobId)
    {
        var isReboot = request.Operation == JobOperations.Reboot;
        if (!JobOperations.All.Contains(request.Operation))
        {
            throw new ArgumentException($"Unknown operation: {request.Operation}", nameof(request));
        }

        if (isReboot != (request.Package is null))
        {
            throw new ArgumentException("A reboot job has no package operation; every other job needs one.", nameof(request));
        }

        var now = _time.GetUtcNow();
        var job = new Job
        {
            Id = Guid.NewGuid().ToString("D"),
            Operation = request.Operation,
            CreatedAt = now,
            UpdatedAt = now,
            Message = isReboot ? "Reboot scheduled." : "Queued.",
            Packages = [.. request.Packages],
            PackageOperation = request.Package,
            ExclusiveMode = !isReboot,
            OriginalJobId = originalJobId,
            RequiresReboot = request.RequiresReboot,
            AutoReboot = AutoRebootFor(request),
            RebootDelay = !isReboot && request.RebootAfter ? request.RebootDelay : null,
            ScheduledAt = isReboot ? request.ScheduledAt ?? now : null,
            Reason = request.Reason,
            PatchesCount = request.PatchesCount,
            TargetVersion = request.TargetVersion,
            RequestedBy = request.RequestedBy,
            RequestId = request.RequestId,
            IdempotencyKey = request.IdempotencyKey,
        };

        var runtime = new JobRuntime();
        JobDetail detail;
        lock (job.Sync)
        {
            // Saved before anyone can see the job: a job the caller was told about always survives a restart.
            _store.Save(job);
            _active[job.Id] = runtime;
            _jobs[job.Id] = job;
            _hub.Publish(job.Id, WsMessageTypes.JobStatus, job.ToStatusPayload());
            detail = job.ToDetail();
        }

        _logger.JobQueued(job.Id, job.Operation, job.RequestedBy);
        if (isReboot)
        {
            runtime.Task = Task.Run(() => RunRebootAsync(job, runtime));
        }
        else
        {
            _queue.Writer.TryWrite(job.Id);
        }

        return detail;
    }

    /// <summary>patch_apply always says whether it reboots; other package jobs only when asked to; a reboot job is the reboot.</summary>
    private static bool? AutoRebootFor(JobRequest request) => request.Operation switch
    {
        JobOperations.Reboot => null,
        JobOperations.PatchApply => request.RebootAfter,
        _ => request.RebootAfter ? true : null,
    };

    /// <summary>Moves the job, saves it and tells subscribers. The caller holds the job's lock.</summary>
    private void Transition(Job job, string status, string message)
    {
        job.TransitionTo(status, _time.GetUtcNow(), message);
        TrySave(job);
        _hub.Publish(job.Id, WsMessageTypes.JobStatus, job.ToStatusPayload());
        if (status == JobStatuses.Running)
        {
            JobMetrics.JobStarted(job);
        }

        if (job.IsFinal)
        {
            _hub.Publish(job.Id, WsMessageTypes.JobComplete, job.ToDetail());
            _logger.JobFinished(job.Id, job.Operation, job.Status);
            JobMetrics.JobFinished(job);
        }
    }

    /// <summary>Removes a finished job from memory and disk. The caller holds the job's lock.</summary>
    private void Forget(Job job)
    {
        job.Deleted = true;
        _jobs.TryRemove(job.Id, out _);
        _store.Delete(job.Id);
    }

    private void TrySave(Job job)
    {
        if (job.Deleted)
        {
            return;
        }

        try
        {
            _store.Save(job);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The job goes on in memory; the next transition tries again.
            _logger.SaveFailed(ex, job.Id);
        }
    }

    private void Finish(string jobId, JobRuntime runtime)
    {
        _active.TryRemove(new KeyValuePair<string, JobRuntime>(jobId, runtime));
        runtime.Done.TrySetResult();
    }

    /// <summary>What a job has while it is pending or running and not on disk: its cancel switch and its end.</summary>
    private sealed class JobRuntime
    {
        public CancellationTokenSource Cancel { get; } = new();

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>For reboot jobs: the task waiting for the time and running the command.</summary>
        public Task? Task { get; set; }
    }
}
