using PatchPortal.Agent.Machine;

namespace PatchPortal.Agent.Packages.Apt;

/// <summary>Every apt/dpkg command line the backend runs, built in one place so tests can assert them exactly.</summary>
/// <remarks>Names and versions only ever appear as separate arguments after <c>--</c>.</remarks>
public static class AptCommands
{
    public const string DpkgQuery = "/usr/bin/dpkg-query";
    public const string Dpkg = "/usr/bin/dpkg";
    public const string AptGet = "/usr/bin/apt-get";
    public const string AptCache = "/usr/bin/apt-cache";

    /// <summary>One package per line, tab separated (control fields cannot hold a tab); the summary last so it may hold anything.</summary>
    public const string ListFormat =
        "${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\t${Installed-Size}\t${Maintainer}\t${Depends}\t${Pre-Depends}\t${binary:Package}\t${binary:Summary}\n";

    public const string VersionFormat = "${Package}\t${Architecture}\t${db:Status-Abbrev}\t${Version}\n";

    private static readonly TimeSpan QueryTimeout = TimeSpan.FromMinutes(2);

    public static CommandSpec ListInstalled() => new(DpkgQuery, ["-W", "-f=" + ListFormat]) { Timeout = QueryTimeout };

    public static CommandSpec NativeArchitecture() => new(Dpkg, ["--print-architecture"]) { Timeout = QueryTimeout };

    public static CommandSpec InstalledVersions(IEnumerable<string> names) =>
        new(DpkgQuery, ["-W", "-f=" + VersionFormat, "--", .. names]) { Timeout = QueryTimeout };

    public static CommandSpec Homepage(string name) => new(DpkgQuery, ["-W", "-f=${Homepage}\n", "--", name]) { Timeout = QueryTimeout };

    public static CommandSpec Files(string name) => new(DpkgQuery, ["-L", "--", name]) { Timeout = QueryTimeout };

    public static CommandSpec Audit() => new(Dpkg, ["--audit"]) { Timeout = QueryTimeout };

    /// <summary>Which versions of <paramref name="names"/> the apt lists offer (one <c>name | version | source</c> line each).</summary>
    public static CommandSpec Madison(IEnumerable<string> names) => new(AptCache, ["madison", "--", .. names]) { Timeout = QueryTimeout };

    public static CommandSpec Update() => new(AptGet, ["-q", "update"]) { Timeout = TimeSpan.FromMinutes(10) };

    /// <summary>Everything a full upgrade would do, from the current lists, without the lock (read only, no network).</summary>
    public static CommandSpec SimulateDistUpgrade() =>
        new(AptGet, ["-s", "-o", "Debug::NoLocking=1", "dist-upgrade"]) { Timeout = QueryTimeout };

    /// <summary>apt's own simulation of <paramref name="operation"/>.</summary>
    /// <param name="upgradeNames">For <see cref="OperationKind.Upgrade"/>: the resolved names, or null for a full dist-upgrade.</param>
    public static CommandSpec Simulate(PackageOperation operation, IReadOnlyList<string>? upgradeNames) =>
        new(AptGet, ["-s", "-o", "Debug::NoLocking=1", .. Transaction(operation, upgradeNames)]) { Timeout = QueryTimeout };

    /// <summary>The real run: no prompts, keep local configuration files, machine-readable progress on stdout.</summary>
    /// <remarks>
    /// The lock timeout lets a job wait out a short-lived apt run (unattended-upgrades, a package cron job) instead of
    /// failing at once; apt still fails with "Could not get lock" after it.
    /// </remarks>
    public static CommandSpec Execute(PackageOperation operation, IReadOnlyList<string>? upgradeNames, TimeSpan timeout) =>
        new(AptGet,
        [
            "-y", "-q",
            "-o", "Dpkg::Options::=--force-confdef",
            "-o", "Dpkg::Options::=--force-confold",
            "-o", "APT::Status-Fd=1",
            "-o", "DPkg::Lock::Timeout=60",
            .. Transaction(operation, upgradeNames),
        ])
        { Timeout = timeout };

    /// <summary>Options, sub-command and <c>--</c>-separated package arguments for <paramref name="operation"/>.</summary>
    public static IReadOnlyList<string> Transaction(PackageOperation operation, IReadOnlyList<string>? upgradeNames)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var arguments = new List<string>();
        var removes = operation.Kind == OperationKind.Remove;
        if (operation.NoRecommends && !removes)
        {
            arguments.Add("--no-install-recommends");
        }

        if (operation.AllowDowngrade || operation.Kind == OperationKind.Rollback)
        {
            arguments.Add("--allow-downgrades");
        }

        if (operation.Force && !removes)
        {
            // "force" lets an admin move a package an apt-mark hold pins; it never forces past dependency problems.
            arguments.Add("--allow-change-held-packages");
        }

        switch (operation.Kind)
        {
            case OperationKind.Install:
                arguments.AddRange(["install", "--", .. operation.Targets.Select(InstallSpec)]);
                break;
            case OperationKind.Update:
                arguments.AddRange(["install", "--only-upgrade", "--", .. operation.Targets.Select(InstallSpec)]);
                break;
            case OperationKind.Remove:
                arguments.AddRange([operation.Purge ? "purge" : "remove", "--", .. operation.Targets.Select(t => RemoveSpec(t.Name))]);
                break;
            case OperationKind.Upgrade when upgradeNames is null:
                arguments.Add("dist-upgrade");
                break;
            case OperationKind.Upgrade:
                arguments.AddRange(["install", "--only-upgrade", "--", .. upgradeNames.Select(name => InstallSpec(new PackageTarget(name)))]);
                break;
            case OperationKind.Rollback:
                // One transaction: "name=version" restores a version, "name-" removes what the original job installed,
                // so apt resolves both together and never leaves a half-rolled-back state between two runs.
                arguments.AddRange(["install", "--", .. operation.Targets.Select(t => t.Version is null ? RemoveSpec(t.Name) + "-" : InstallSpec(t))]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation.Kind, "Unknown operation kind");
        }

        return arguments;
    }

    private static string InstallSpec(PackageTarget target)
    {
        if (target.Version is not null)
        {
            return target.Name + "=" + target.Version;
        }

        // apt reads a trailing '-' on an install argument as "remove": such a name must never reach it bare.
        if (target.Name.EndsWith('-'))
        {
            throw new ArgumentException($"Package name '{target.Name}' ends with '-', which apt would read as a removal", nameof(target));
        }

        return target.Name;
    }

    private static string RemoveSpec(string name) =>
        name.EndsWith('-')
            ? throw new ArgumentException($"Package name '{name}' ends with '-', which apt would misread", nameof(name))
            : name;
}
