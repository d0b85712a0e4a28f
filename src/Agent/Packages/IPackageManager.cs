namespace PatchPortal.Agent.Packages;

/// <summary>One package family's backend (apt/dpkg, dnf/rpm, or the simulated demo mode).</summary>
/// <remarks>
/// Read methods may run concurrently with each other; <see cref="ExecuteAsync"/> is only ever called by the job
/// manager, one at a time. Every name and version reaching a backend has already passed <see cref="PackageNames"/>.
/// </remarks>
public interface IPackageManager
{
    /// <summary><c>apt</c>, <c>dnf</c> or <c>simulated</c>.</summary>
    string Name { get; }

    /// <summary>Installed packages, with the candidate version filled in for those that can be upgraded.</summary>
    Task<IReadOnlyList<InstalledPackage>> ListInstalledAsync(CancellationToken cancellationToken);

    /// <summary>One installed package with its details, or null when it is not installed.</summary>
    Task<InstalledPackageDetail?> GetPackageAsync(string name, CancellationToken cancellationToken);

    /// <summary>Pending updates from the package manager's current metadata (no network refresh).</summary>
    Task<IReadOnlyList<AvailableUpdate>> ListUpdatesAsync(CancellationToken cancellationToken);

    /// <summary>The installed version of each name (null when not installed), read directly from the package database.</summary>
    Task<IReadOnlyDictionary<string, string?>> GetInstalledVersionsAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken);

    /// <summary>What <paramref name="operation"/> would change, computed by the package manager's own simulation.</summary>
    Task<PackagePlan> PlanAsync(PackageOperation operation, CancellationToken cancellationToken);

    /// <summary>Carries out <paramref name="operation"/>, streaming output lines to <paramref name="output"/>.</summary>
    /// <remarks>Cancellation kills the whole process tree and returns; it never leaves a child running.</remarks>
    Task<CommandOutcome> ExecuteAsync(PackageOperation operation, IJobOutput output, CancellationToken cancellationToken);

    /// <summary>Whether the host needs a reboot (Debian: /var/run/reboot-required; RPM: needs-restarting -r or kernel comparison).</summary>
    Task<bool> IsRebootRequiredAsync(CancellationToken cancellationToken);

    /// <summary>Whether the package database is consistent (dpkg --audit, rpm --verifydb), with the reason when not.</summary>
    Task<DatabaseState> CheckDatabaseAsync(CancellationToken cancellationToken);
}

/// <summary>Receives what a running job produces.</summary>
public interface IJobOutput
{
    /// <summary>One line of command output as it comes; <paramref name="stream"/> is <c>stdout</c> or <c>stderr</c>.</summary>
    void Line(string stream, string line);

    /// <summary>Progress in percent (0–100) with an optional human-readable message.</summary>
    void Progress(int percent, string? message);
}

public enum OperationKind
{
    Install,
    Update,
    Remove,

    /// <summary>Apply pending updates: all, or the named targets; honours SecurityOnly and Exclude.</summary>
    Upgrade,

    /// <summary>Bring each target to its version; a target without a version is removed.</summary>
    Rollback,
}

public sealed record PackageTarget(string Name, string? Version = null);

public sealed record PackageOperation(OperationKind Kind, IReadOnlyList<PackageTarget> Targets)
{
    public bool Force { get; init; }
    public bool NoRecommends { get; init; }
    public bool AllowDowngrade { get; init; }
    public bool Purge { get; init; }
    public bool SecurityOnly { get; init; }
    public IReadOnlyList<string> Exclude { get; init; } = [];
}

public sealed record InstalledPackage
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public string? Architecture { get; init; }
    public string? Description { get; init; }
    public long? SizeBytes { get; init; }
    public DateTimeOffset? InstalledAt { get; init; }
    public IReadOnlyList<string> Dependencies { get; init; } = [];
    public string? Maintainer { get; init; }

    /// <summary>The package manager's own state word, e.g. <c>installed</c> or <c>half-configured</c>.</summary>
    public string Status { get; init; } = "installed";

    /// <summary>Candidate version when an upgrade is pending, else null.</summary>
    public string? AvailableVersion { get; init; }
}

public sealed record InstalledPackageDetail
{
    public required InstalledPackage Package { get; init; }
    public IReadOnlyList<string> ReverseDependencies { get; init; } = [];
    public string? Homepage { get; init; }
    public string? License { get; init; }
    public IReadOnlyList<string> Files { get; init; } = [];
}

public sealed record AvailableUpdate
{
    public required string Name { get; init; }
    public string? CurrentVersion { get; init; }
    public required string CandidateVersion { get; init; }
    public string? Architecture { get; init; }

    /// <summary>Where the candidate comes from, e.g. <c>Debian-Security:12/bookworm-security</c>.</summary>
    public string? Source { get; init; }
    public bool IsSecurity { get; init; }

    /// <summary>The kernel, libc, systemd and the like need a reboot to take effect.</summary>
    public bool RequiresReboot { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<string> CveIds { get; init; } = [];

    /// <summary>Vendor advisories that ship this update (e.g. <c>RHSA-2024:1234</c>); empty where the backend has none.</summary>
    public IReadOnlyList<string> AdvisoryIds { get; init; } = [];

    /// <summary><c>critical</c>, <c>high</c>, <c>medium</c> or <c>low</c> when the vendor rates it, else null.</summary>
    public string? Severity { get; init; }
    public DateTimeOffset? PublishedAt { get; init; }
}

public sealed record PackagePlan(IReadOnlyList<PlannedPackageChange> Changes, bool RequiresReboot);

/// <summary>From null = newly installed; To null = removed.</summary>
public sealed record PlannedPackageChange(string Package, string? From, string? To);

public sealed record DatabaseState(bool Consistent, string? Problem);

/// <summary>How a package command ended; <see cref="ErrorCode"/> is null on success (a JobErrorCodes value otherwise).</summary>
public sealed record CommandOutcome(int ExitCode, string Stdout, string Stderr, string? ErrorCode = null, string? ErrorMessage = null)
{
    public bool Succeeded => ErrorCode is null;
}
