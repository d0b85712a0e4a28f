namespace PatchPortal.Portal.Inventory;

/// <summary>Hangfire queue names used by the inventory feature.</summary>
public static class InventoryQueues
{
    /// <summary>Per-host refreshes; served by its own, small set of workers so a fleet poll cannot starve other jobs.</summary>
    public const string Inventory = "inventory";

    public const string Default = "default";
}
