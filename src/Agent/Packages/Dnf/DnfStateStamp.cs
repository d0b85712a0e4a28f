namespace PatchPortal.Agent.Packages.Dnf;

/// <summary>The fingerprint of what rpm's and dnf's answers depend on (<see cref="StateStamp"/>).</summary>
/// <remarks>
/// rpm rewrites its database (rpmdb.sqlite and its journal, or the Berkeley DB files of older releases) on every
/// transaction; dnf 4 rewrites its solver files at the top of /var/cache/dnf whenever it refreshes a repository's
/// metadata; the repository and dnf configuration decide what is offered. dnf 5 keeps its cache in subdirectories,
/// which this does not follow: <see cref="DnfPackageManager.MaxSnapshotAge"/> bounds how long a change there can go
/// unseen.
/// </remarks>
public sealed class DnfStateStamp(string rpmDatabase = "/var/lib/rpm", string rpmSysimage = "/usr/lib/sysimage/rpm", string dnfCache = "/var/cache/dnf", string dnfConfig = "/etc/dnf", string reposDirectory = "/etc/yum.repos.d")
    : StateStamp(
    [
        (rpmDatabase, true),
        (rpmSysimage, true),
        (dnfCache, true),
        (Path.Combine(dnfConfig, "dnf.conf"), false),
        (Path.Combine(dnfConfig, "vars"), true),
        (reposDirectory, true),
    ]);
