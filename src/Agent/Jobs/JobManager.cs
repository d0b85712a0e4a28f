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
public sealed class JobManager : IJobManager, IDisposable
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

    public bool HasActivePackageJob => _jobs.Values.Any(job =>
    {
        lock (job.Sync)
        {
            return job.ExclusiveMode && !job.IsFinal;
        }
    });

    public JobDetail Submit(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Submit(request, originalJobId: null);
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

    public RollbackResult Rollback(string jobId, string? requestedBy = null)
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

    /// <summary>Runs queued package jobs one at a time until <paramref name="stoppingToken"/> fires.</summary>
    internal async Task RunQueueAsync(CancellationToken stoppingToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _stopping.Token);
        try
        {
            await foreach (var jobId in _queue.Reader.ReadAllAsync(linked.Token))
            {
                try
                {
                    await RunPackageJobAsync(jobId, linked.Token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !linked.IsCancellationRequested)
                {
                    // A bug or a full disk in one job must not stop the queue (and with it the agent).
                    _logger.JobCrashed(ex, jobId);
                    FailUnexpectedly(jobId, ex);
                }
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // Stopping: queued jobs stay pending on disk and are recorded as interrupted at the next start.
        }
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

    private async Task RunPackageJobAsync(string jobId, CancellationToken stoppingToken)
    {
        if (!_jobs.TryGetValue(jobId, out var job) || !_active.TryGetValue(jobId, out var runtime))
        {
            return;
        }

        PackageOperation operation;
        lock (job.Sync)
        {
            if (job.Status != JobStatuses.Pending)
            {
                return; // cancelled while it waited in the queue
            }

            operation = job.PackageOperation!;
            Transition(job, JobStatuses.Running, "Running.");
        }

        var timeoutAfter = TimeSpan.FromMinutes(_options.Jobs.TimeoutMinutes);
        using var timeout = new CancellationTokenSource(timeoutAfter, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(runtime.Cancel.Token, timeout.Token, stoppingToken);
        using var flushing = new CancellationTokenSource();
        var flusher = FlushLogsAsync(job, flushing.Token);

        IReadOnlyCollection<string> names = [];
        IReadOnlyDictionary<string, string?>? before = null;
        CommandOutcome? outcome = null;
        string? failureCode = null;
        string? failure = null;
        try
        {
            (names, failure) = await ResolvePackagesAsync(job, operation, linked.Token);
            if (failure is not null)
            {
                failureCode = JobErrorCodes.PackageManagerError;
            }
            else
            {
                before = await _packages.GetInstalledVersionsAsync(names, linked.Token);
                outcome = await _packages.ExecuteAsync(operation, new JobOutput(this, job), linked.Token);
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // Cancel, timeout or shutdown: told apart below.
        }
        catch (Exception ex)
        {
            _logger.JobCrashed(ex, jobId);
            failureCode = JobErrorCodes.Unknown;
            failure = ex.Message;
        }

        var changes = before is null ? [] : await RecordChangesAsync(job, names, before);
        await flushing.CancelAsync();
        await flusher;

        string status;
        string message;
        if (outcome is { Succeeded: true })
        {
            // A command that finished before a late cancel did its work: the record says what happened.
            (status, message) = (JobStatuses.Completed, "Completed.");
        }
        else if (runtime.Cancel.IsCancellationRequested)
        {
            (status, message) = (JobStatuses.Cancelled, "Cancelled while running.");
        }
        else if (timeout.IsCancellationRequested)
        {
            (status, message) = (JobStatuses.Timeout, $"Stopped after {_options.Jobs.TimeoutMinutes} minutes (Agent:Jobs:TimeoutMinutes).");
            failureCode = JobErrorCodes.Timeout;
            failure = message;
        }
        else if (stoppingToken.IsCancellationRequested)
        {
            (status, message) = (JobStatuses.Interrupted, "The agent stopped while this job ran.");
            failure = message;
        }
        else
        {
            status = JobStatuses.Failed;
            failureCode ??= outcome?.ErrorCode ?? JobErrorCodes.Unknown;
            failure ??= outcome?.ErrorMessage ?? "The package command failed.";
            message = failure;
        }

        if (status == JobStatuses.Completed && job.AutoReboot == true)
        {
            message = ScheduleRebootAfter(job);
        }


        lock (job.Sync)
        {
            job.Changes = changes;
            if (outcome is not null)
            {
                job.ExitCode = outcome.ExitCode;
                job.CommandStdout = Job.Tail(outcome.Stdout);
                job.CommandStderr = Job.Tail(outcome.Stderr);
            }

            if (status != JobStatuses.Completed)
            {
                job.Error = failure;
                job.ErrorCode = failureCode;
            }

            Transition(job, status, message);
        }

        Finish(jobId, runtime);
    }

    /// <summary>Queues the reboot a successful patch_apply asked for; returns the job's closing message.</summary>
    private string ScheduleRebootAfter(Job job)
    {
        try
        {
            var reboot = Submit(
                new JobRequest(JobOperations.Reboot, null)
                {
                    ScheduledAt = _time.GetUtcNow() + (job.RebootDelay ?? TimeSpan.Zero),
                    Reason = $"Automatic reboot after job {job.Id}",
                    RequestedBy = job.RequestedBy,
                },
                originalJobId: null);
            return $"Completed; reboot scheduled as job {reboot.JobId} at {reboot.ScheduledAt:O}.";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.SaveFailed(ex, job.Id);
            return $"Completed, but the reboot could not be scheduled: {ex.Message}";
        }
    }

    /// <summary>Records a job that the runner itself failed on, so it does not stay running for ever.</summary>
    private void FailUnexpectedly(string jobId, Exception exception)
    {
        if (_jobs.TryGetValue(jobId, out var job))
        {
            lock (job.Sync)
            {
                if (job.Status == JobStatuses.Running)
                {
                    job.ErrorCode = JobErrorCodes.Unknown;
                    job.Error = exception.Message;
                    Transition(job, JobStatuses.Failed, exception.Message);
                }
                else if (job.Status == JobStatuses.Pending)
                {
                    Transition(job, JobStatuses.Interrupted, $"The job could not start: {exception.Message}");
                }
            }
        }

        if (_active.TryGetValue(jobId, out var runtime))
        {
            Finish(jobId, runtime);
        }
    }

    /// <summary>The packages whose versions are recorded before and after: the targets plus what the simulation says will change.</summary>
    private async Task<(IReadOnlyCollection<string> Names, string? Failure)> ResolvePackagesAsync(
        Job job, PackageOperation operation, CancellationToken cancellationToken)
    {
        var names = new SortedSet<string>(operation.Targets.Select(target => target.Name), StringComparer.Ordinal);
        try
        {
            // Dependencies pulled in or removed change too, and "upgrade everything" names no target at all.
            var plan = await _packages.PlanAsync(operation, cancellationToken);
            names.UnionWith(plan.Changes.Select(change => change.Package));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (names.Count == 0)
            {
                // Without the list the job could record nothing to roll back; better not to run it blind.
                return ([], $"Could not work out which packages the operation changes: {ex.Message}");
            }

            _logger.PlanFailed(job.Id, ex.Message);
        }

        return (names, null);
    }

    private async Task<List<PackageChange>> RecordChangesAsync(Job job, IReadOnlyCollection<string> names, IReadOnlyDictionary<string, string?> before)
    {
        // Read even after a cancel or a timeout: a half-done job changed packages too, and rollback needs to know.
        using var timeout = new CancellationTokenSource(SnapshotTimeout, _time);
        IReadOnlyDictionary<string, string?> after;
        try
        {
            after = await _packages.GetInstalledVersionsAsync(names, timeout.Token);
        }
        catch (Exception ex)
        {
            lock (job.Sync)
            {
                job.AppendLog($"Could not read the installed versions after the job: {ex.Message}");
            }

            return [];
        }

        var changes = new List<PackageChange>();
        foreach (var name in names)
        {
            var was = before.GetValueOrDefault(name);
            var now = after.GetValueOrDefault(name);
            if (!string.Equals(was, now, StringComparison.Ordinal))
            {
                changes.Add(new PackageChange(name, was, now));
            }
        }

        return changes;
    }

    private async Task RunRebootAsync(Job job, JobRuntime runtime)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(runtime.Cancel.Token, _stopping.Token);
        try
        {
            var wait = (job.ScheduledAt ?? job.CreatedAt) - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, linked.Token);
            }

            lock (job.Sync)
            {
                if (job.Status != JobStatuses.Pending)
                {
                    return;
                }

                Transition(job, JobStatuses.Running, "Running the reboot command.");
            }

            _logger.RebootStarting(job.Id, job.Reason);
            var command = _options.Reboot.EffectiveCommand;
            var result = await _runner.RunAsync(
                new CommandSpec(command[0], [.. command.Skip(1)]) { Timeout = RebootCommandTimeout },
                new JobOutput(this, job).Line,
                linked.Token);

            lock (job.Sync)
            {
                job.ExitCode = result.ExitCode;
                job.CommandStdout = Job.Tail(result.Stdout);
                job.CommandStderr = Job.Tail(result.Stderr);
                if (result.Succeeded)
                {
                    Transition(job, JobStatuses.Completed, "Reboot command issued.");
                }
                else
                {
                    job.ErrorCode = JobErrorCodes.RebootError;
                    job.Error = result.NotFound ? result.Stderr
                        : result.TimedOut ? "The reboot command did not finish in time."
                        : $"The reboot command exited with {result.ExitCode}.";
                    Transition(job, JobStatuses.Failed, job.Error);
                }
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            lock (job.Sync)
            {
                if (job.Status == JobStatuses.Running)
                {
                    var cancelled = runtime.Cancel.IsCancellationRequested;
                    Transition(job, cancelled ? JobStatuses.Cancelled : JobStatuses.Interrupted,
                        cancelled ? "Cancelled while running." : "The agent stopped while this job ran.");
                }

                // A pending reboot left by a stopping agent stays pending on disk and is recorded as interrupted at
                // the next start: a reboot must never fire late, after a restart, unasked.
            }
        }
        catch (Exception ex)
        {
            _logger.JobCrashed(ex, job.Id);
            lock (job.Sync)
            {
                if (!job.IsFinal)
                {
                    job.ErrorCode = JobErrorCodes.RebootError;
                    job.Error = ex.Message;
                    Transition(job, JobStatuses.Failed, ex.Message);
                }
            }
        }
        finally
        {
            Finish(job.Id, runtime);
        }
    }

    /// <summary>Saves a running job's new log lines at most once per <see cref="FlushInterval"/>.</summary>
    private async Task FlushLogsAsync(Job job, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                lock (job.Sync)
                {
                    if (job.Dirty && !job.IsFinal)
                    {
                        TrySave(job);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The job ended; its final save includes every line.
        }
    }

    /// <summary>Moves the job, saves it and tells subscribers. The caller holds the job's lock.</summary>
    private void Transition(Job job, string status, string message)
    {
        job.TransitionTo(status, _time.GetUtcNow(), message);
        TrySave(job);
        _hub.Publish(job.Id, WsMessageTypes.JobStatus, job.ToStatusPayload());
        if (job.IsFinal)
        {
            _hub.Publish(job.Id, WsMessageTypes.JobComplete, job.ToDetail());
            _logger.JobFinished(job.Id, job.Operation, job.Status);
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

    /// <summary>Turns backend output into job logs, progress and live events.</summary>
    private sealed class JobOutput(JobManager manager, Job job) : IJobOutput
    {
        public void Line(string stream, string line)
        {
            lock (job.Sync)
            {
                if (job.IsFinal)
                {
                    return;
                }

                job.AppendLog(stream == "stderr" ? "[stderr] " + line : line);
                manager._hub.Publish(job.Id, WsMessageTypes.JobLog, new JobLogPayload(job.Id, line));
            }
        }

        public void Progress(int percent, string? message)
        {
            lock (job.Sync)
            {
                if (job.IsFinal)
                {
                    return;
                }

                job.Progress = Math.Clamp(percent, 0, 100);
                job.Message = message ?? job.Message;
                job.UpdatedAt = manager._time.GetUtcNow();
                job.Dirty = true;
                manager._hub.Publish(job.Id, WsMessageTypes.JobStatus, job.ToStatusPayload());
            }
        }
    }
}
