using System.ComponentModel.DataAnnotations;

namespace PatchPortal.Portal.Inventory;

/// <summary>The "Portal:Inventory" section: how often hosts are polled and when they count as unreachable or stale.</summary>
public sealed class InventoryOptions
{
    public const string Section = "Portal:Inventory";

    /// <summary>Cron (UTC) of the full refresh: facts, installed packages, pending updates.</summary>
    [Required]
    public string PollCron { get; set; } = "*/5 * * * *";

    /// <summary>Cron (UTC) of the cheap health poll: the agent's /health only.</summary>
    [Required]
    public string HealthCron { get; set; } = "* * * * *";

    /// <summary>Failed polls in a row before a host is Unreachable; before that it is Degraded.</summary>
    [Range(1, 100)]
    public int UnreachableAfterFailures { get; set; } = 3;

    /// <summary>Inventory older than this is stale on the dashboard.</summary>
    [Range(1, 24 * 365)]
    public int StaleAfterHours { get; set; } = 24;

    /// <summary>Hangfire workers of the inventory queue: the most hosts refreshed at once on one portal node.</summary>
    [Range(1, 64)]
    public int ConcurrentRefreshes { get; set; } = 4;
}
