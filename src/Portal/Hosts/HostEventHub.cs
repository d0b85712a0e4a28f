using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Hosts;

/// <summary>What changed about a host (health, facts, inventory, groups), for live views.</summary>
public sealed record HostChanged(Guid HostId, string What);

/// <summary>
/// In-process fan-out of host changes to every circuit that shows hosts. Components subscribe in OnInitialized,
/// call InvokeAsync(StateHasChanged) from the handler, and dispose the subscription in Dispose.
/// </summary>
public sealed class HostEventHub : EventHub<HostChanged>;
