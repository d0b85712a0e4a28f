using PatchPortal.Agent.Contracts;

namespace PatchPortal.Agent.Jobs;

/// <summary>Maps the persisted <see cref="Job"/> to the wire DTOs. Callers hold the job's lock.</summary>
public static class JobMapping
{
    public static JobDetail ToDetail(this Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new JobDetail
        {
            JobId = job.Id,
            Operation = job.Operation,
            Status = job.Status,
            // Old clients read "progress", newer ones "progress_percent": both carry the same number.
            Progress = job.Progress,
            ProgressPercent = job.Progress,
            Message = job.Message,
            CreatedAt = job.CreatedAt,
            UpdatedAt = job.UpdatedAt,
            StartedAt = job.StartedAt,
            CompletedAt = job.CompletedAt,
            Packages = [.. job.Packages],
            Logs = [.. job.Logs],
            Error = job.Error,
            ErrorCode = job.ErrorCode,
            ExitCode = job.ExitCode,
            CommandStdout = job.CommandStdout,
            CommandStderr = job.CommandStderr,
            RollbackJobId = job.RollbackJobId,
            OriginalJobId = job.OriginalJobId,
            ExclusiveMode = job.ExclusiveMode,
            Changes = [.. job.Changes],
            RequiresReboot = job.RequiresReboot,
            AutoReboot = job.AutoReboot,
            ScheduledAt = job.ScheduledAt,
            Reason = job.Reason,
        };
    }

    public static JobSummary ToSummary(this Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new JobSummary
        {
            JobId = job.Id,
            Operation = job.Operation,
            Status = job.Status,
            ProgressPercent = job.Progress,
            CreatedAt = job.CreatedAt,
            UpdatedAt = job.UpdatedAt,
            CompletedAt = job.CompletedAt,
        };
    }

    public static JobStatusPayload ToStatusPayload(this Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new JobStatusPayload(job.Id, job.Status, job.Progress, job.Message, job.UpdatedAt);
    }
}
