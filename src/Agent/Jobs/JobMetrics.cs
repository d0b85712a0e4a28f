using Prometheus;

namespace PatchPortal.Agent.Jobs;

/// <summary>Prometheus metrics of the agent's jobs, served on <c>/metrics</c> (behind the same mTLS as the API).</summary>
internal static class JobMetrics
{
    private static readonly Counter Finished = Metrics.CreateCounter(
        "patchagent_jobs_finished_total", "Jobs that reached a final state, by operation and state.", "operation", "status");

    private static readonly Histogram Duration = Metrics.CreateHistogram(
        "patchagent_job_duration_seconds", "From start to end of finished jobs, by operation and state.",
        new HistogramConfiguration
        {
            LabelNames = ["operation", "status"],
            Buckets = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
        });

    private static readonly Counter Started = Metrics.CreateCounter(
        "patchagent_jobs_started_total", "Jobs that began running, by operation.", "operation");

    public static void JobStarted(Job job) => Started.WithLabels(job.Operation).Inc();

    public static void JobFinished(Job job)
    {
        Finished.WithLabels(job.Operation, job.Status).Inc();
        if (job.CompletedAt is { } end)
        {
            Duration.WithLabels(job.Operation, job.Status).Observe(Math.Max(0, (end - (job.StartedAt ?? job.CreatedAt)).TotalSeconds));
        }
    }
}
