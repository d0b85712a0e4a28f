using PatchPortal.Agent.Contracts;

namespace PatchPortal.Agent.Jobs;

/// <summary>The values a job list query accepts, including the spellings older clients send.</summary>
public static class JobQueryValues
{
    public const string SortCreatedAt = "created_at";
    public const string SortUpdatedAt = "updated_at";
    public const string SortStatus = "status";

    private static readonly Dictionary<string, string> Statuses = new(StringComparer.OrdinalIgnoreCase)
    {
        [JobStatuses.Pending] = JobStatuses.Pending,
        [JobStatuses.Running] = JobStatuses.Running,
        [JobStatuses.Completed] = JobStatuses.Completed,
        [JobStatuses.Failed] = JobStatuses.Failed,
        [JobStatuses.Cancelled] = JobStatuses.Cancelled,
        [JobStatuses.Timeout] = JobStatuses.Timeout,
        [JobStatuses.Interrupted] = JobStatuses.Interrupted,
        // Spellings deployed clients of the v1 agent send.
        ["timed_out"] = JobStatuses.Timeout,
        ["timedout"] = JobStatuses.Timeout,
    };

    private static readonly Dictionary<string, string> Operations = new(StringComparer.OrdinalIgnoreCase)
    {
        [JobOperations.Install] = JobOperations.Install,
        [JobOperations.Update] = JobOperations.Update,
        [JobOperations.Remove] = JobOperations.Remove,
        [JobOperations.PatchApply] = JobOperations.PatchApply,
        [JobOperations.Reboot] = JobOperations.Reboot,
        [JobOperations.Rollback] = JobOperations.Rollback,
        ["patchapply"] = JobOperations.PatchApply,
    };

    /// <summary>Maps a status filter to its canonical value; null or empty (or <c>all</c>) means no filter.</summary>
    public static bool TryNormalizeStatus(string? value, out string? status) => TryNormalize(Statuses, value, out status);

    /// <summary>Maps an operation filter to its canonical value; null or empty (or <c>all</c>) means no filter.</summary>
    public static bool TryNormalizeOperation(string? value, out string? operation) => TryNormalize(Operations, value, out operation);

    public static bool IsValidSort(string? sort) => sort is SortCreatedAt or SortUpdatedAt or SortStatus;

    private static bool TryNormalize(Dictionary<string, string> known, string? value, out string? canonical)
    {
        canonical = null;
        if (string.IsNullOrWhiteSpace(value) || string.Equals(value, "all", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return known.TryGetValue(value.Trim(), out canonical);
    }
}
