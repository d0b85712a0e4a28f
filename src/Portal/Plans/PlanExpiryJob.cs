using Hangfire;

namespace PatchPortal.Portal.Plans;

/// <summary>
/// The recurring sweep that marks plans whose approval lapsed unused as Expired. Idempotent (an expired plan is not
/// touched again); no Hangfire retries, because the next occurrence of the sweep is the retry.
/// </summary>
[AutomaticRetry(Attempts = 0)]
public sealed class PlanExpiryJob(PlanService plans)
{
    public const string JobId = "plan-expiry";

    public Task<int> ExpireAsync(CancellationToken cancellationToken) => plans.ExpireDueAsync(cancellationToken);
}
