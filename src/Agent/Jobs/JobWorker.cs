using Microsoft.Extensions.Options;
using PatchPortal.Agent.Configuration;

namespace PatchPortal.Agent.Jobs;

/// <summary>Runs the package job queue and the retention sweep for the lifetime of the agent.</summary>
internal sealed class JobWorker(JobManager manager, TimeProvider time) : BackgroundService
{
    /// <summary>How often finished jobs past Agent:Jobs:RetentionDays are deleted.</summary>
    internal static readonly TimeSpan RetentionInterval = TimeSpan.FromHours(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(manager.RunQueueAsync(stoppingToken), SweepAsync(stoppingToken));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await manager.StopAsync();
    }

    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RetentionInterval, time);
        try
        {
            do
            {
                manager.PurgeExpired();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}

/// <summary>Checks the job settings at start, naming the key that is wrong.</summary>
internal sealed class JobOptionsValidator : IValidateOptions<AgentOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var jobs = options.Jobs;
        if (jobs.MaxConcurrent != 1)
        {
            failures.Add("Agent:Jobs:MaxConcurrent must be 1: the package database has one lock.");
        }

        if (jobs.TimeoutMinutes is < 1 or > 24 * 60)
        {
            failures.Add("Agent:Jobs:TimeoutMinutes must be between 1 and 1440.");
        }

        if (jobs.RetentionDays is < 1 or > 3650)
        {
            failures.Add("Agent:Jobs:RetentionDays must be between 1 and 3650.");
        }

        if (options.Reboot.Command.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Agent:Reboot:Command must not hold empty arguments.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
