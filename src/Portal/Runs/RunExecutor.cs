using Hangfire;

namespace PatchPortal.Portal.Runs;

/// <summary>The Hangfire job that executes one run (the engine lands in the next change).</summary>
[AutomaticRetry(Attempts = 0)] // window-bound work retries inside the window by its own rule
public sealed class RunExecutor(ILogger<RunExecutor> logger)
{
    public Task ExecuteAsync(Guid runId, CancellationToken cancellationToken)
    {
        RunsLog.NothingToDo(logger, runId);
        return Task.CompletedTask;
    }
}
