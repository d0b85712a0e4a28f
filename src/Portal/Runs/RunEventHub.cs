using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Runs;

/// <summary>Something about a run changed: the run itself (<see cref="HostRunId"/> null) or one of its hosts.</summary>
public sealed record RunChanged(Guid RunId, long? HostRunId = null);

/// <summary>
/// In-process fan-out of run and host-run transitions to every circuit that shows runs. Components subscribe in
/// OnInitialized, call InvokeAsync(StateHasChanged) from the handler, and dispose the subscription in Dispose.
/// </summary>
public sealed class RunEventHub : EventHub<RunChanged>;
