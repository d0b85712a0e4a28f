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
            RequestId = job.RequestId,
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

    /// <summary>The 202 answer for a job just submitted: the fields that fit its operation, from the job and the request.</summary>
    public static JobAccepted ToAccepted(this JobDetail job, JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(request);
        var isPatch = job.Operation == JobOperations.PatchApply;
        return new JobAccepted
        {
            JobId = job.JobId,
            Status = job.Status,
            Operation = job.Operation,
            CreatedAt = job.CreatedAt,
            Packages = job.Operation is JobOperations.Install or JobOperations.PatchApply or JobOperations.Rollback ? job.Packages : null,
            Package = job.Operation is JobOperations.Update or JobOperations.Remove && job.Packages.Count > 0 ? job.Packages[0].Name : null,
            TargetVersion = request.TargetVersion,
            PatchesCount = isPatch ? request.PatchesCount ?? job.Packages.Count : null,
            RequiresReboot = isPatch ? request.RequiresReboot ?? false : null,
            AutoReboot = isPatch ? job.AutoReboot ?? false : null,
            ScheduledAt = job.ScheduledAt,
            Reason = job.Operation == JobOperations.Reboot ? job.Reason : null,
            OriginalJobId = job.OriginalJobId,
        };
    }

    public static JobStatusPayload ToStatusPayload(this Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new JobStatusPayload(job.Id, job.Status, job.Progress, job.Message, job.UpdatedAt);
    }
}
