using System.ComponentModel.DataAnnotations;

namespace PatchPortal.Portal.Hosts;

/// <summary>The "Portal:Hosts" configuration section.</summary>
public sealed class HostsOptions
{
    public const string Section = "Portal:Hosts";

    /// <summary>Inventory older than this many hours counts as stale (dashboard card, host list filter).</summary>
    [Range(1, 24 * 90)]
    public int StaleAfterHours { get; set; } = 24;
}
