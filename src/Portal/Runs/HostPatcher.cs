using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Runs;

/// <summary>
/// What every host of one run shares: the plan's "what" (turned into each host's selection by
/// <see cref="Plans.PlanPackageSelection"/>, exactly as the dry run did), rollout rules and the run's cutoff.
/// </summary>
public sealed record RunContext(
    Guid RunId,
    Guid PlanId,
    string PlanName,
    PlanPackageScope Scope,
    IReadOnlyList<string> Packages,
    IReadOnlyList<string> Exclusions,
    RebootPolicy RebootPolicy,
    TimeSpan HostTimeout,
    DateTimeOffset CutoffAt,
    int MaxFailures,
    bool MaxFailuresIsPercent);

/// <summary>
/// Takes one host through its part of a run, checkpointing every step to its <see cref="HostRun"/>: apply (retrying
/// transient failures while the cutoff allows), record the agent job id before following it, follow the job over the
/// WebSocket or by polling, reboot per policy and wait for the host to return healthy, then report its kernel.
/// It resumes from whatever step the record shows, so a restarted portal follows the job it started instead of
/// applying again.
/// </summary>
public sealed class HostPatcher(
    IDbContextFactory<PortalDbContext> factory,
    IAgentClient agents,
    RunEventHub events,
    IOptions<RunsOptions> options,
    TimeProvider time,
    ILogger<HostPatcher> logger)
{
    /// <summary>The most output lines kept per host.</summary>
    public const int OutputLines = 60;

    /// <summary>How far the agent's clock may be behind the portal's when matching an interrupted request to its job.</summary>
    public static readonly TimeSpan ClockSkewTolerance = TimeSpan.FromMinutes(2);

    private const int OutputChars = 16000;

    private IAgentClient Agents { get; } = agents;

    private RunEventHub Events { get; } = events;

    private RunsOptions Options { get; } = options.Value;

    private TimeProvider Time { get; } = time;

    private ILogger Logger { get; } = logger;

    public async Task PatchAsync(RunContext run, long hostRunId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var record = await db.HostRuns.SingleAsync(h => h.Id == hostRunId, cancellationToken);
        if (RunRules.IsFinal(record.State))
        {
            return;
        }

        var host = await db.Hosts.AsNoTracking().SingleOrDefaultAsync(h => h.Id == record.HostId, cancellationToken);
        var work = new Work(this, db, record, run, cancellationToken);
        if (host is null)
        {
            await work.FailAsync("The host was removed from the portal.", "Host removed");
            return;
        }

        work.Agent = new AgentEndpoint(host.Id, host.Name, host.Address, host.AgentPort, host.AgentCertificateFingerprint);
        await work.RunAsync();
    }

    /// <summary>Agent failures worth another attempt: unreachable, timeouts, and server-side (5xx) errors.</summary>
    public static bool IsRetryable(AgentFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure.IsTransient
            || (failure.Kind == AgentFailureKind.AgentError && failure.ErrorCode is "PKG_MANAGER_ERROR" or "PATCH_APPLY_ERROR" or "INTERNAL_ERROR");
    }

    private sealed class Work(HostPatcher owner, PortalDbContext db, HostRun record, RunContext run, CancellationToken cancellationToken)
    {
        private readonly List<string> _output = [.. (record.OutputExcerpt ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries)];
        private DateTimeOffset _lastOutputSave = DateTimeOffset.MinValue;

        public AgentEndpoint Agent { get; set; } = null!;

        private RunsOptions Options => owner.Options;

        private DateTimeOffset Now => owner.Time.GetUtcNow();

        public async Task RunAsync()
        {
            if (record.State == HostRunState.Rebooting)
            {
                await RebootAsync();
                return;
            }

            var jobId = record.State switch
            {
                HostRunState.Patching when record.AgentJobId is not null => record.AgentJobId,
                HostRunState.Patching => await RecoverInterruptedApplyAsync(),
                _ => await ApplyAsync(),
            };
            if (jobId is null)
            {
                return;
            }

            var detail = await FollowAsync(jobId);
            if (detail is not null)
            {
                await AfterJobAsync(detail);
            }
        }

        /// <summary>
        /// The Idempotency-Key of this attempt's apply request: the agent answers a request repeating it with the job
        /// the first one started, so an attempt sent twice (by a node whose claim lapsed and the node that took over,
        /// or by one node before and after a restart) starts one job.
        /// </summary>
        private string ApplyKey => $"patchportal-run-{run.RunId:N}-host-{record.Id}-attempt-{record.Attempts}";

        /// <summary>Starts the patch job; null when the attempt ended the host or deferred it to a later attempt.</summary>
        private async Task<string?> ApplyAsync()
        {
            record.Attempts++;
            record.State = HostRunState.Patching;
            record.StartedAt = Now;
            record.NextAttemptAt = null;
            record.ProgressPercent = 0;
            record.Message = record.Attempts > 1 ? $"Applying updates (attempt {record.Attempts})" : "Applying updates";
            await SaveAsync();
            return await SendApplyAsync();
        }

        /// <summary>Sends the current attempt's apply request (again, after an interruption: same key, same job).</summary>
        private async Task<string?> SendApplyAsync()
        {
            // The agent knows exact names only: globs and named packages are resolved against this host's pending
            // updates first, as the dry run did, so what approvers saw is what runs.
            IReadOnlyCollection<string>? pending = null;
            if (Plans.PlanPackageSelection.NeedsPendingList(run.Scope, run.Exclusions))
            {
                var patches = await owner.Agents.ListPatchesAsync(Agent, cancellationToken);
                if (patches.Failure is { } listFailure)
                {
                    await AttemptFailedAsync(listFailure);
                    return null;
                }

                pending = Plans.PlanPackageSelection.PendingNames(patches.Value!);
            }

            if (Plans.PlanPackageSelection.ForHost(run.Scope, run.Packages, run.Exclusions, pending) is not { } selection)
            {
                await EndAsync(HostRunState.Succeeded, "Nothing the plan names is pending on this host");
                return null;
            }

            var accepted = await owner.Agents.ApplyPatchesAsync(Agent, selection, ApplyKey, cancellationToken);
            if (accepted.Failure is { } failure)
            {
                await AttemptFailedAsync(failure);
                return null;
            }

            // Recorded before following: a portal that stops now follows this job when it resumes, never applies again.
            record.AgentJobId = accepted.Value!.JobId;
            record.Error = null;
            record.Message = $"Agent job {record.AgentJobId} started";
            await SaveAsync();
            RunsLog.HostJobStarted(owner.Logger, run.RunId, record.HostName, record.AgentJobId);
            return record.AgentJobId;
        }

        private async Task AttemptFailedAsync(AgentFailure failure)
        {
            record.Error = Clip(failure.Message, 2000);
            if (!IsRetryable(failure))
            {
                await FailAsync(failure.Message, "The agent refused the patch job");
                return;
            }

            var next = RunRules.NextAttempt(record.Attempts, Now, run.CutoffAt,
                TimeSpan.FromSeconds(Options.RetryBaseSeconds), TimeSpan.FromSeconds(Options.RetryMaxSeconds));
            if (next is null)
            {
                await EndAsync(HostRunState.Missed, $"Unreachable through the window after {record.Attempts} {(record.Attempts == 1 ? "attempt" : "attempts")}");
                return;
            }

            record.State = HostRunState.Retrying;
            record.NextAttemptAt = next;
            record.Message = $"Attempt {record.Attempts} failed; next attempt at {next:HH:mm:ss} UTC";
            await SaveAsync();
            RunsLog.HostRetrying(owner.Logger, run.RunId, record.HostName, record.Attempts, next.Value, failure.Message);
        }

        /// <summary>
        /// The portal stopped after asking the agent to apply and before it recorded the answer: the agent's own job
        /// list says whether the request started a job (then it is followed) or never arrived (then it is sent again).
        /// </summary>
        private async Task<string?> RecoverInterruptedApplyAsync()
        {
            var deadline = (record.StartedAt ?? Now) + run.HostTimeout;
            while (true)
            {
                var jobs = await owner.Agents.ListJobsAsync(Agent, JobOperations.PatchApply, 20, cancellationToken);
                if (jobs.Value is { } list)
                {
                    var since = (record.StartedAt ?? Now) - ClockSkewTolerance;
                    if (list.Where(j => j.CreatedAt >= since).MinBy(j => j.CreatedAt) is { } started)
                    {
                        record.AgentJobId = started.JobId;
                        record.Message = $"Agent job {started.JobId} found after the portal restarted";
                        await SaveAsync();
                        return started.JobId;
                    }

                    // Not there (yet): sent again under the attempt's key, so if the first request is only late (a
                    // node whose claim lapsed mid-request), the agent answers both with one job.
                    return await SendApplyAsync();
                }

                if (!IsRetryable(jobs.Failure!) || Now >= deadline)
                {
                    await FailAsync($"Could not learn whether the interrupted patch request started a job: {jobs.Failure!.Message}", "Outcome unknown");
                    return null;
                }

                await Task.Delay(TimeSpan.FromSeconds(Options.PollSeconds), owner.Time, cancellationToken);
            }
        }

        /// <summary>Follows the job to its end; null when the host ended on the way (timeout, job lost).</summary>
        private async Task<JobDetail?> FollowAsync(string jobId)
        {
            var deadline = (record.StartedAt ?? Now) + run.HostTimeout;
            using var timeout = new CancellationTokenSource(Max(deadline - Now, TimeSpan.Zero), owner.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                JobDetail? detail = null;
                await foreach (var item in owner.Agents.FollowJobAsync(Agent, jobId, linked.Token))
                {
                    switch (item)
                    {
                        case AgentJobStatusChanged status:
                            record.ProgressPercent = Math.Clamp(status.Status.ProgressPercent, 0, 100);
                            record.Message = Clip(status.Status.Message, 2000) ?? record.Message;
                            await SaveAsync();
                            break;
                        case AgentJobOutput line:
                            await AddOutputAsync(line.Line);
                            break;
                        case AgentJobCompleted completed:
                            detail = completed.Detail;
                            break;
                        case AgentJobStreamLost lost:
                            RunsLog.StreamLost(owner.Logger, run.RunId, record.HostName, lost.Failure.Message);
                            break;
                    }
                }

                return detail ?? await PollAsync(jobId, linked.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // A portal that was down past the deadline may find the job long finished: ask once more.
                var last = await owner.Agents.GetJobAsync(Agent, jobId, cancellationToken);
                if (last.Value is { } detail && JobStatuses.IsFinal(detail.Status))
                {
                    return detail;
                }

                // The host's time is up; the agent's job is stopped so it does not change the host later, unseen.
                await owner.Agents.CancelJobAsync(Agent, jobId, cancellationToken);
                await FailAsync($"No result within the host timeout of {run.HostTimeout.TotalMinutes:0} minutes.", "Timed out");
                return null;
            }
        }

        private async Task<JobDetail?> PollAsync(string jobId, CancellationToken token)
        {
            while (true)
            {
                var job = await owner.Agents.GetJobAsync(Agent, jobId, token);
                if (job.Value is { } detail)
                {
                    if (JobStatuses.IsFinal(detail.Status))
                    {
                        return detail;
                    }

                    if (detail.ProgressPercent != record.ProgressPercent || detail.Message != record.Message)
                    {
                        record.ProgressPercent = Math.Clamp(detail.ProgressPercent, 0, 100);
                        record.Message = Clip(detail.Message, 2000) ?? record.Message;
                        await SaveAsync();
                    }
                }
                else if (job.Failure is { ErrorCode: "JOB_NOT_FOUND" })
                {
                    await FailAsync($"The agent no longer knows job {jobId}.", "Job lost");
                    return null;
                }

                // Unreachable or slow: the job runs on without us; keep asking until the host's timeout.
                await Task.Delay(TimeSpan.FromSeconds(Options.PollSeconds), owner.Time, token);
            }
        }

        private async Task AfterJobAsync(JobDetail detail)
        {
            record.Changes = detail.Changes.Select(c => new ManifestChange { Package = c.Package, From = c.Before, To = c.After }).ToList();
            if (_output.Count == 0)
            {
                foreach (var line in detail.Logs)
                {
                    AppendOutput(line);
                }
            }

            record.OutputExcerpt = OutputText();
            if (detail.Status != JobStatuses.Completed)
            {
                record.ProgressPercent = Math.Clamp(detail.ProgressPercent, 0, 100);
                await FailAsync(detail.Error ?? detail.Message ?? $"The agent's patch job ended {detail.Status}.", $"Patch job {detail.Status}");
                return;
            }

            record.ProgressPercent = 100;
            var healthSaysReboot = false;
            if (run.RebootPolicy == RebootPolicy.IfRequired && detail.RequiresReboot != true)
            {
                var health = await owner.Agents.GetHealthAsync(Agent, cancellationToken);
                healthSaysReboot = health.Value?.RebootRequired == true;
            }

            if (RunRules.NeedsReboot(run.RebootPolicy, detail.RequiresReboot, healthSaysReboot))
            {
                await RebootAsync();
                return;
            }

            var info = await owner.Agents.GetSystemInfoAsync(Agent, cancellationToken);
            record.KernelAfter = Clip(info.Value?.Kernel.Version, 200);
            var changed = record.Changes.Count;
            await EndAsync(HostRunState.Succeeded, $"Patched {changed} {(changed == 1 ? "package" : "packages")}"
                + (run.RebootPolicy == RebootPolicy.Never ? "; reboots are off for this plan" : "; no reboot needed"));
        }

        private async Task RebootAsync()
        {
            if (record.RebootJobId is null)
            {
                record.State = HostRunState.Rebooting;
                record.Message = "Requesting a reboot";
                await SaveAsync();
                var reboot = await owner.Agents.RebootAsync(Agent, $"PatchPortal plan '{run.PlanName}' (run {run.RunId})", cancellationToken);
                if (reboot.Failure is { } failure)
                {
                    await FailAsync($"The reboot was refused: {failure.Message}", "Reboot refused");
                    return;
                }

                record.RebootJobId = reboot.Value!.JobId;
                record.RebootedAt = Now;
                record.Message = "Rebooting; waiting for the host to come back";
                await SaveAsync();
            }

            await WaitForReturnAsync();
        }

        /// <summary>
        /// Back means booted after the reboot request (its uptime is shorter than the time since), or, for the
        /// simulated backend whose reboots restart nothing, its reboot job completed. Then it must be healthy.
        /// </summary>
        private async Task WaitForReturnAsync()
        {
            var requested = record.RebootedAt ?? Now;
            var deadline = requested + run.HostTimeout;
            // At least one probe, even for a portal that resumes after the deadline.
            using var timeout = new CancellationTokenSource(Max(deadline - Now, TimeSpan.FromSeconds(Options.PollSeconds)), owner.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                while (true)
                {
                    var info = await owner.Agents.GetSystemInfoAsync(Agent, linked.Token);
                    if (info.Value is { } facts)
                    {
                        var sinceRequest = (Now - requested).TotalSeconds;
                        var rebooted = facts.UptimeSeconds < sinceRequest;
                        if (!rebooted)
                        {
                            var job = await owner.Agents.GetJobAsync(Agent, record.RebootJobId!, linked.Token);
                            if (job.Value is { Status: JobStatuses.Failed or JobStatuses.Cancelled or JobStatuses.Timeout } refused)
                            {
                                await FailAsync($"The reboot job {refused.Status}: {refused.Error ?? refused.Message}", "Reboot failed");
                                return;
                            }

                            rebooted = facts.PackageManager == "simulated" && job.Value?.Status == JobStatuses.Completed;
                        }

                        if (rebooted)
                        {
                            await VerifyReturnAsync(facts);
                            return;
                        }
                    }

                    await Task.Delay(TimeSpan.FromSeconds(Options.PollSeconds), owner.Time, linked.Token);
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                await FailAsync($"Did not come back within the host timeout of {run.HostTimeout.TotalMinutes:0} minutes after the reboot.", "Did not return");
            }
        }

        private async Task VerifyReturnAsync(SystemInfoDto facts)
        {
            record.KernelAfter = Clip(facts.Kernel.Version, 200);
            var health = await owner.Agents.GetHealthAsync(Agent, cancellationToken);
            if (health.Value is not { Status: "healthy" or "degraded" })
            {
                var why = health.Failure?.Message
                    ?? string.Join(", ", health.Value!.Checks.Where(c => c.Value.Status != "ok").Select(c => $"{c.Key}: {c.Value.Message}"));
                await FailAsync($"Came back after the reboot but is not healthy ({why}).", "Unhealthy after reboot");
                return;
            }

            await EndAsync(HostRunState.Succeeded, $"Rebooted; running kernel {record.KernelAfter}");
        }

        private async Task AddOutputAsync(string line)
        {
            AppendOutput(line);
            if (Now - _lastOutputSave >= TimeSpan.FromSeconds(1))
            {
                record.OutputExcerpt = OutputText();
                _lastOutputSave = Now;
                await SaveAsync();
            }
        }

        private void AppendOutput(string line)
        {
            _output.Add(Clip(line.TrimEnd('\r', '\n'), 1000)!);
            if (_output.Count > OutputLines)
            {
                _output.RemoveRange(0, _output.Count - OutputLines);
            }
        }

        private string? OutputText()
        {
            if (_output.Count == 0)
            {
                return null;
            }

            var text = string.Join('\n', _output);
            return text.Length <= OutputChars ? text : text[^OutputChars..];
        }

        public Task FailAsync(string error, string message)
        {
            record.Error = Clip(error, 2000);
            return EndAsync(HostRunState.Failed, message);
        }

        private async Task EndAsync(HostRunState state, string message)
        {
            record.State = state;
            record.Message = message;
            record.NextAttemptAt = null;
            record.FinishedAt = Now;
            record.OutputExcerpt = OutputText() ?? record.OutputExcerpt;
            await SaveAsync();
            RunsLog.HostEnded(owner.Logger, run.RunId, record.HostName, state, record.Error ?? message);
        }

        private async Task SaveAsync()
        {
            // Never cancelled half-way by the host's own timeout: a checkpoint is written whole or not at all.
            await db.SaveChangesAsync(cancellationToken);
            owner.Events.Publish(new RunChanged(run.RunId, record.Id));
        }

        private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    }

    private static string? Clip(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
