using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Machine;

namespace PatchPortal.Agent.Jobs;

/// <summary>Running reboot jobs: wait for the scheduled time, then the configured command.</summary>
public sealed partial class JobManager
{
    private async Task RunRebootAsync(Job job, JobRuntime runtime)
    {
        using var scope = _logger.JobScope(job.Id, job.RequestId);
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
}
