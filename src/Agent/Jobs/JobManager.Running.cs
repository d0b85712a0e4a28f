using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Agent.Jobs;

/// <summary>Running package jobs: the queue, the before/after snapshots, the command, and its output.</summary>
public sealed partial class JobManager
{
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

    private async Task RunPackageJobAsync(string jobId, CancellationToken stoppingToken)
    {
        if (!_jobs.TryGetValue(jobId, out var job) || !_active.TryGetValue(jobId, out var runtime))
        {
            return;
        }

        // The job runs after its request ended: its own scope carries the request's id into every line it logs.
        using var scope = _logger.JobScope(job.Id, job.RequestId);
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
                    RequestId = job.RequestId,
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
