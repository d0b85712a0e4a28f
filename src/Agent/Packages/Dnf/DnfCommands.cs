using PatchPortal.Agent.Machine;

namespace PatchPortal.Agent.Packages.Dnf;

/// <summary>Every rpm/dnf command line the backend runs; names and versions only as arguments after <c>--</c>.</summary>
public static class DnfCommands
{
    public const string Rpm = "/usr/bin/rpm";
    public const string Rpmdb = "/usr/bin/rpmdb";
    public const string DnfPath = "/usr/bin/dnf";
    public const string NeedsRestarting = "/usr/bin/needs-restarting";
    public const string Uname = "/usr/bin/uname";

    /// <summary>Tab-separated; the epoch is printed only when set, as dnf and rpm spell versions.</summary>
    public const string QueryFormat =
        "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SIZE}\\t%{INSTALLTIME}\\t%{PACKAGER}\\t%{VENDOR}\\t[%{REQUIRENAME},]\\t%{SUMMARY}\\n";

    private static readonly TimeSpan QueryTimeout = TimeSpan.FromMinutes(2);

    public static CommandSpec ListInstalled() => new(Rpm, ["-qa", "--queryformat", QueryFormat]) { Timeout = QueryTimeout };

    public static CommandSpec InstalledVersions(IEnumerable<string> names) =>
        new(Rpm, ["-q", "--queryformat", QueryFormat, "--", .. names]) { Timeout = QueryTimeout };

    public static CommandSpec Info(string name) => new(Rpm, ["-qi", "--", name]) { Timeout = QueryTimeout };

    public static CommandSpec Files(string name) => new(Rpm, ["-ql", "--", name]) { Timeout = QueryTimeout };

    public static CommandSpec WhatRequires(string name) => new(Rpm, ["-q", "--whatrequires", "--queryformat", "%{NAME}\\n", "--", name]) { Timeout = QueryTimeout };

    /// <summary>Cached metadata only (-C): listing updates must never wait on the network.</summary>
    public static CommandSpec CheckUpdate() => new(DnfPath, ["-q", "-C", "check-update"]) { Timeout = QueryTimeout };

    public static CommandSpec SecurityUpdates() => new(DnfPath, ["-q", "-C", "updateinfo", "list", "--security"]) { Timeout = QueryTimeout };

    public static CommandSpec Kernels() => new(Rpm, ["-q", "--queryformat", "%{INSTALLTIME}\\t%{VERSION}-%{RELEASE}.%{ARCH}\\n", "--", "kernel-core", "kernel"]) { Timeout = QueryTimeout };

    public static CommandSpec RunningKernel() => new(Uname, ["-r"]) { Timeout = QueryTimeout };

    public static CommandSpec RebootCheck() => new(NeedsRestarting, ["-r"]) { Timeout = QueryTimeout };

    /// <summary>
    /// Checks the database's own structure (seconds), unlike <c>rpm -Va</c> which checksums every installed file (minutes).
    /// </summary>
    public static CommandSpec VerifyDatabase() => new(Rpmdb, ["--verifydb"]) { Timeout = QueryTimeout };

    /// <summary>dnf's resolution of the transaction, answered "no" so nothing changes.</summary>
    public static CommandSpec Plan(DnfTransaction transaction) =>
        new(DnfPath, ["--assumeno", .. Arguments(transaction)]) { Timeout = QueryTimeout };

    public static CommandSpec Execute(DnfTransaction transaction, TimeSpan timeout) =>
        new(DnfPath, ["-y", .. Arguments(transaction)]) { Timeout = timeout };

    /// <summary>The dnf transactions an operation needs (a rollback may need a downgrade, an install and a removal).</summary>
    /// <param name="upgradeNames">For upgrades: the resolved names, or null for everything.</param>
    /// <param name="installed">For rollbacks: which targets are installed now (they are downgraded rather than installed).</param>
    public static IReadOnlyList<DnfTransaction> Transactions(PackageOperation operation, IReadOnlyList<string>? upgradeNames, IReadOnlyDictionary<string, string?>? installed = null)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var options = new List<string>();
        if (operation.NoRecommends && operation.Kind != OperationKind.Remove)
        {
            options.Add("--setopt=install_weak_deps=False");
        }

        if (operation.Force && operation.Kind == OperationKind.Install)
        {
            // Lets dnf replace conflicting packages, the closest dnf has to apt's "take the admin's word for it".
            options.Add("--allowerasing");
        }

        return operation.Kind switch
        {
            OperationKind.Install => [new("install", options, operation.Targets.Select(Spec).ToList())],
            OperationKind.Update when operation.AllowDowngrade && operation.Targets.Any(t => t.Version is not null) =>
                [new("distro-sync", options, operation.Targets.Select(Spec).ToList())],
            OperationKind.Update => [new("upgrade", options, operation.Targets.Select(Spec).ToList())],
            OperationKind.Remove => [new("remove", options, operation.Targets.Select(t => t.Name).ToList())],
            OperationKind.Upgrade => [new("upgrade", options, upgradeNames ?? [])],
            OperationKind.Rollback => Rollback(operation, options, installed ?? new Dictionary<string, string?>()),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation.Kind, "Unknown operation kind"),
        };
    }

    private static List<DnfTransaction> Rollback(PackageOperation operation, List<string> options, IReadOnlyDictionary<string, string?> installed)
    {
        var transactions = new List<DnfTransaction>();
        var downgrade = operation.Targets.Where(t => t.Version is not null && installed.GetValueOrDefault(t.Name) is not null).Select(Spec).ToList();
        var install = operation.Targets.Where(t => t.Version is not null && installed.GetValueOrDefault(t.Name) is null).Select(Spec).ToList();
        var remove = operation.Targets.Where(t => t.Version is null).Select(t => t.Name).ToList();
        if (downgrade.Count > 0)
        {
            transactions.Add(new("downgrade", options, downgrade));
        }

        if (install.Count > 0)
        {
            transactions.Add(new("install", options, install));
        }

        if (remove.Count > 0)
        {
            transactions.Add(new("remove", options, remove));
        }

        return transactions;
    }

    private static string Spec(PackageTarget target) => target.Version is null ? target.Name : target.Name + "-" + target.Version;

    private static IReadOnlyList<string> Arguments(DnfTransaction transaction) =>
        transaction.Packages.Count == 0
            ? [.. transaction.Options, transaction.Verb]
            : [.. transaction.Options, transaction.Verb, "--", .. transaction.Packages];
}

/// <summary>One dnf invocation: sub-command, options and package specs.</summary>
public sealed record DnfTransaction(string Verb, IReadOnlyList<string> Options, IReadOnlyList<string> Packages);
