namespace PatchPortal.Agent.Packages;

/// <summary>Which package updates only take full effect after a reboot.</summary>
/// <remarks>
/// The running kernel cannot be replaced in place, microcode and firmware load at boot, and libc, the TLS libraries,
/// systemd and D-Bus are mapped into PID 1 and nearly every long-running daemon: restarting services one by one
/// would miss some, so a reboot is the only way to be sure the old copy is gone. This is the same set Ubuntu's
/// update-notifier and RHEL's needs-restarting treat as reboot-worthy. Tools such as linux-libc-dev or linux-perf
/// share the kernel's version but are not loaded at boot, so they are deliberately not on the list.
/// </remarks>
public static class RebootHeuristic
{
    private static readonly string[] DebianPrefixes = ["linux-image-", "linux-modules-", "linux-signed-image-"];

    private static readonly HashSet<string> DebianNames = new(StringComparer.Ordinal)
    {
        "linux-image-amd64", "linux-image-arm64", "linux-image-generic", "linux-firmware", "firmware-linux",
        "intel-microcode", "amd64-microcode", "libc6", "libc-bin", "systemd", "libsystemd0", "udev",
        "dbus", "dbus-daemon", "dbus-system-bus-common", "libdbus-1-3", "libssl3", "libssl3t64", "libssl1.1",
    };

    private static readonly string[] RpmPrefixes = ["kernel", "linux-firmware"];

    private static readonly HashSet<string> RpmNames = new(StringComparer.Ordinal)
    {
        "glibc", "systemd", "systemd-libs", "systemd-udev", "dbus", "dbus-daemon", "dbus-broker", "dbus-libs",
        "openssl-libs", "microcode_ctl", "linux-firmware",
    };

    /// <summary>True for a Debian package (with or without <c>:arch</c>) whose update needs a reboot.</summary>
    public static bool IsRebootPackageDebian(string name) => Matches(StripArch(name), DebianNames, DebianPrefixes);

    /// <summary>True for an RPM package whose update needs a reboot (kernel, kernel-core, glibc, ...).</summary>
    public static bool IsRebootPackageRpm(string name) =>
        Matches(name, RpmNames, RpmPrefixes) && !name.StartsWith("kernel-headers", StringComparison.Ordinal)
        && !name.StartsWith("kernel-devel", StringComparison.Ordinal) && !name.StartsWith("kernel-tools", StringComparison.Ordinal);

    private static bool Matches(string name, HashSet<string> names, string[] prefixes) =>
        names.Contains(name) || prefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal));

    private static string StripArch(string name)
    {
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? name : name[..colon];
    }
}
