using System.ComponentModel.DataAnnotations;

namespace PatchPortal.Portal.Plans;

/// <summary>Settings of patch plans (section <c>Portal:Plans</c>).</summary>
public sealed class PlansOptions
{
    public const string Section = "Portal:Plans";

    /// <summary>How long the approval of a "now" plan stays usable after submission.</summary>
    [Range(1, 24 * 30)]
    public int NowApprovalHours { get; set; } = 24;

    /// <summary>How many agents a dry run asks at once.</summary>
    [Range(1, 64)]
    public int DryRunConcurrency { get; set; } = 8;

    /// <summary>When the expiry sweep runs (cron, UTC): plans whose approval lapsed become Expired.</summary>
    [Required]
    public string ExpiryCron { get; set; } = "* * * * *";
}
