namespace PatchPortal.Agent.Packages.Apt;

/// <summary>The fingerprint of everything apt's answers depend on (<see cref="StateStamp"/>).</summary>
/// <remarks>
/// dpkg rewrites /var/lib/dpkg/status on every change and apt-get update replaces the files in /var/lib/apt/lists,
/// so their modification times and sizes (plus the source and pinning configuration) change whenever the installed
/// set or the pending updates can.
/// </remarks>
public sealed class AptStateStamp(string dpkgStatus = "/var/lib/dpkg/status", string aptLists = "/var/lib/apt/lists", string aptConfig = "/etc/apt")
    : StateStamp(
    [
        (dpkgStatus, false),
        (aptLists, true),
        (Path.Combine(aptConfig, "sources.list"), false),
        (Path.Combine(aptConfig, "sources.list.d"), true),
        (Path.Combine(aptConfig, "preferences"), false),
        (Path.Combine(aptConfig, "preferences.d"), true),
    ]);
