using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Plans;

/// <summary>How the plan pages put a plan's settings into words.</summary>
public static class PlanText
{
    public static string Scope(PlanPackageScope scope) => scope switch
    {
        PlanPackageScope.AllUpdates => "All pending updates",
        PlanPackageScope.SecurityOnly => "Security updates only",
        _ => "Named packages",
    };

    public static string Timing(PlanTiming timing) => timing switch
    {
        PlanTiming.Occurrence => "A chosen occurrence of the window",
        PlanTiming.NextOccurrence => "The next occurrence of the window",
        PlanTiming.EveryOccurrence => "Every occurrence of the window",
        _ => "Now, as soon as it is approved",
    };

    public static string Reboot(RebootPolicy policy) => policy switch
    {
        RebootPolicy.Never => "Never reboot",
        RebootPolicy.Always => "Always reboot",
        _ => "Reboot if required",
    };

    public static string Amount(int value, bool percent, string unit) => percent ? $"{value} % of the hosts" : $"{value} {unit}";
}
