namespace PatchPortal.Portal.Dashboard;

/// <summary>Links into the filtered host list (its query parameters are the contract with Hosts/).</summary>
public static class HostListLinks
{
    public const string All = "/hosts";
    public const string SecurityUpdates = "/hosts?security=true";
    public const string RebootRequired = "/hosts?reboot=true";
    public const string StaleInventory = "/hosts?stale=true";
    public const string CertificatesExpiring = "/hosts?certExpiring=true";

    public static string ByHealth(Data.Entities.HostHealth health) => $"/hosts?health={health}";
}
