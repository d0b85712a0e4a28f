using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Plans;

/// <summary>What changed about a plan, for live views (see <see cref="PlanChangeKinds"/>).</summary>
public sealed record PlanChanged(Guid PlanId, string What);

/// <summary>The kinds of <see cref="PlanChanged"/>; other features (runs) may publish their own.</summary>
public static class PlanChangeKinds
{
    public const string Created = "created";
    public const string Edited = "edited";
    public const string State = "state";
    public const string Decision = "decision";
    public const string DryRunProgress = "dry-run-progress";
    public const string DryRunFinished = "dry-run-finished";
}

/// <summary>
/// In-process fan-out of plan changes to every circuit that shows plans (the pattern of
/// <see cref="Hosts.HostEventHub"/>). Components subscribe in OnInitialized, call InvokeAsync(StateHasChanged) from
/// the handler and dispose the subscription in Dispose. The Runs feature publishes here when it moves a plan.
/// </summary>
public sealed class PlanEventHub : EventHub<PlanChanged>;
