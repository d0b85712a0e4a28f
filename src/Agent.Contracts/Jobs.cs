namespace PatchPortal.Agent.Contracts;

public static class JobStatuses
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string Timeout = "timeout";
    public const string Interrupted = "interrupted";

    public static IReadOnlyList<string> All { get; } = [Pending, Running, Completed, Failed, Cancelled, Timeout, Interrupted];

    public static bool IsFinal(string status) => status is Completed or Failed or Cancelled or Timeout or Interrupted;
}

public static class JobOperations
{
    public const string Install = "install";
    public const string Update = "update";
    public const string Remove = "remove";
    public const string PatchApply = "patch_apply";
    public const string Reboot = "reboot";
    public const string Rollback = "rollback";

    public static IReadOnlyList<string> All { get; } = [Install, Update, Remove, PatchApply, Reboot, Rollback];
}

/// <summary>One package a job touched, with the exact versions before and after (null = not installed).</summary>
public sealed record PackageChange(string Package, string? Before, string? After);

/// <summary>The 202 answer to a request that started a job; fields not relevant to the operation are omitted.</summary>
public sealed record JobAccepted
{
    public required string JobId { get; init; }
    public required string Status { get; init; }
    public required string Operation { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public IReadOnlyList<PackageSpec>? Packages { get; init; }
    public string? Package { get; init; }
    public string? TargetVersion { get; init; }
    public int? PatchesCount { get; init; }
    public bool? RequiresReboot { get; init; }
    public bool? AutoReboot { get; init; }
    public DateTimeOffset? ScheduledAt { get; init; }
    public string? Reason { get; init; }
    public string? OriginalJobId { get; init; }
}

public sealed record JobSummary
{
    public required string JobId { get; init; }
    public required string Operation { get; init; }
    public required string Status { get; init; }
    public int ProgressPercent { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
}

public sealed record JobListResponse(IReadOnlyList<JobSummary> Jobs, int Total, int Limit, int Offset);

public sealed record JobDetail
{
    public required string JobId { get; init; }
    public required string Operation { get; init; }
    public required string Status { get; init; }
    public int Progress { get; init; }
    public int ProgressPercent { get; init; }
    public string? Message { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public IReadOnlyList<PackageSpec> Packages { get; init; } = [];
    public IReadOnlyList<string> Logs { get; init; } = [];
    public string? Error { get; init; }
    public string? ErrorCode { get; init; }
    public int? ExitCode { get; init; }
    public string? CommandStdout { get; init; }
    public string? CommandStderr { get; init; }
    public string? RollbackJobId { get; init; }
    public string? OriginalJobId { get; init; }
    public bool ExclusiveMode { get; init; }

    // ext
    public IReadOnlyList<PackageChange> Changes { get; init; } = [];
    public bool? RequiresReboot { get; init; }
    public bool? AutoReboot { get; init; }
    public DateTimeOffset? ScheduledAt { get; init; }
    public string? Reason { get; init; }

    /// <summary>The id of the request that started the job (the caller's X-Request-Id when it sent a well-formed one).</summary>
    public string? RequestId { get; init; }
}

public sealed record JobDeleteResponse(string JobId, string PreviousStatus, string CurrentStatus, string Action);
