using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Machine;

namespace PatchPortal.Agent.Packages.Dnf;

/// <summary>The Fedora/RHEL backend: rpm for what is installed, dnf for what changes.</summary>
/// <remarks>
/// The installed list and the pending updates cost three processes (rpm -qa, dnf check-update, dnf updateinfo), so
/// they are kept as one snapshot, answered from while the rpm database, dnf's cache and its configuration are unchanged
/// (<see cref="DnfStateStamp"/>) and for at most <see cref="MaxSnapshotAge"/>; the portal pages through them a
/// thousand packages at a time.
/// </remarks>
public sealed class DnfPackageManager(ICommandRunner runner, IOptions<AgentOptions> options, ILogger<DnfPackageManager> logger, TimeProvider time)
    : IPackageManager, IDisposable
{
    /// <summary>How long a snapshot is answered from at most, for the changes the stamp does not see (dnf 5's cache).</summary>
    public static readonly TimeSpan MaxSnapshotAge = TimeSpan.FromMinutes(10);

    /// <summary>dnf check-update's "updates are available" exit code.</summary>
    private const int UpdatesAvailable = 100;

    private readonly DnfStateStamp _stamp = new() { TrustFor = StateStamp.DefaultTrust, Time = time };
    private readonly SemaphoreSlim _rebuild = new(1, 1);
    private volatile Snapshot? _snapshot;

    public string Name => "dnf";

    public async Task<IReadOnlyList<InstalledPackage>> ListInstalledAsync(CancellationToken cancellationToken) =>
        (await GetSnapshotAsync(cancellationToken)).Installed;

    public void Dispose() => _rebuild.Dispose();

    public async Task<InstalledPackageDetail?> GetPackageAsync(string name, CancellationToken cancellationToken)
    {
        var query = await runner.RunAsync(DnfCommands.InstalledVersions([name]), null, cancellationToken);
        ThrowIfUnusable(query, DnfCommands.Rpm);
        if (DnfOutputParser.ParseInstalled(query.Stdout) is not [var package, ..])
        {
            return null; // rpm -q exits 1 with "package x is not installed".
        }

        var info = DnfOutputParser.ParseInfo((await runner.RunAsync(DnfCommands.Info(name), null, cancellationToken)).Stdout);
        var files = await runner.RunAsync(DnfCommands.Files(name), null, cancellationToken);
        var requiredBy = await runner.RunAsync(DnfCommands.WhatRequires(name), null, cancellationToken);
        return new InstalledPackageDetail
        {
            Package = package,
            Homepage = info.GetValueOrDefault("URL"),
            License = info.GetValueOrDefault("License"),
            Files = files.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(f => f.StartsWith('/')).ToList(),
            // "no package requires x" (exit 1) is the empty answer, not a failure.
            ReverseDependencies = requiredBy.ExitCode == 0
                ? requiredBy.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList()
                : [],
        };
    }

    public async Task<IReadOnlyList<AvailableUpdate>> ListUpdatesAsync(CancellationToken cancellationToken) =>
        (await GetSnapshotAsync(cancellationToken)).Updates;

    private async Task<Snapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        // Compute returns the snapshot's own fingerprint while nothing changed.
        var current = _snapshot;
        if (IsCurrent(current))
        {
            return current!;
        }

        await _rebuild.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have rebuilt it while this one waited.
            var rebuilt = _snapshot;
            if (IsCurrent(rebuilt))
            {
                return rebuilt!;
            }

            PackagesLog.SnapshotRebuilt(logger, Name);
            var taken = time.GetUtcNow();
            var fingerprint = _stamp.Compute();
            var installed = await InstalledAsync(cancellationToken);
            var updates = await UpdatesAsync(installed, cancellationToken);
            var candidates = updates.GroupBy(u => u.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().CandidateVersion, StringComparer.Ordinal);
            var snapshot = new Snapshot(fingerprint, taken,
                installed.Select(p => p with { AvailableVersion = candidates.GetValueOrDefault(p.Name) }).ToList(), updates);
            _snapshot = snapshot;
            return snapshot;
        }
        finally
        {
            _rebuild.Release();
        }
    }

    private bool IsCurrent(Snapshot? snapshot) =>
        snapshot is not null && time.GetUtcNow() - snapshot.TakenAt < MaxSnapshotAge && ReferenceEquals(snapshot.Stamp, _stamp.Compute(snapshot.Stamp));

    private async Task<IReadOnlyList<AvailableUpdate>> UpdatesAsync(IReadOnlyList<InstalledPackage> installed, CancellationToken cancellationToken)
    {
        var check = await runner.RunAsync(DnfCommands.CheckUpdate(), null, cancellationToken);
        ThrowIfUnusable(check, DnfCommands.DnfPath);
        if (check.ExitCode != 0 && check.ExitCode != UpdatesAvailable)
        {
            throw new PackageManagerException("dnf check-update failed: " + DnfOutputParser.ClassifyFailure(check).Message);
        }

        var rows = DnfOutputParser.ParseCheckUpdate(check.Stdout);
        if (rows.Count == 0)
        {
            return [];
        }

        var security = await runner.RunAsync(DnfCommands.SecurityUpdates(), null, cancellationToken);
        var advisories = (security.ExitCode == 0 ? DnfOutputParser.ParseSecurityAdvisories(security.Stdout) : [])
            .ToLookup(a => a.Name, StringComparer.Ordinal);
        var current = installed.GroupBy(p => p.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Version, StringComparer.Ordinal);
        return DnfUpdates.Combine(rows, advisories, current);
    }

    public async Task<IReadOnlyDictionary<string, string?>> GetInstalledVersionsAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0)
        {
            return new Dictionary<string, string?>();
        }

        var result = await runner.RunAsync(DnfCommands.InstalledVersions(names), null, cancellationToken);
        ThrowIfUnusable(result, DnfCommands.Rpm);
        var found = DnfOutputParser.ParseInstalled(result.Stdout).GroupBy(p => p.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Version, StringComparer.Ordinal);
        return names.Distinct(StringComparer.Ordinal).ToDictionary(n => n, n => found.GetValueOrDefault(n), StringComparer.Ordinal);
    }

    public async Task<PackagePlan> PlanAsync(PackageOperation operation, CancellationToken cancellationToken)
    {
        var transactions = await TransactionsAsync(operation, cancellationToken);
        var installed = (await InstalledAsync(cancellationToken)).GroupBy(p => p.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Version, StringComparer.Ordinal);
        var rows = new List<DnfTransactionRow>();
        foreach (var transaction in transactions)
        {
            // --assumeno always ends with exit 1 ("Operation aborted"); a resolution failure prints no table and an error.
            var result = await runner.RunAsync(DnfCommands.Plan(transaction), null, cancellationToken);
            var parsed = DnfOutputParser.ParseTransaction(result.Stdout);
            if (parsed.Count == 0 && !result.Stdout.Contains("Nothing to do", StringComparison.Ordinal) && (result.ExitCode != 1 || result.Stderr.Contains("Error", StringComparison.Ordinal)))
            {
                var (code, message) = DnfOutputParser.ClassifyFailure(result);
                throw new PackageManagerException($"dnf could not plan the {operation.Kind} operation: {message}") { ErrorCode = code };
            }

            rows.AddRange(parsed);
        }

        return DnfOutputParser.ToPlan(rows, installed);
    }

    public async Task<CommandOutcome> ExecuteAsync(PackageOperation operation, IJobOutput output, CancellationToken cancellationToken)
    {
        try
        {
            return await ExecuteTransactionsAsync(operation, output, cancellationToken);
        }
        finally
        {
            _stamp.Forget();
        }
    }

    private async Task<CommandOutcome> ExecuteTransactionsAsync(PackageOperation operation, IJobOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var transactions = await TransactionsAsync(operation, cancellationToken);
        var stdout = new List<string>();
        var stderr = new List<string>();
        for (var i = 0; i < transactions.Count; i++)
        {
            var spec = DnfCommands.Execute(transactions[i], TimeSpan.FromMinutes(options.Value.Jobs.TimeoutMinutes));
            PackagesLog.RunningCommand(logger, spec);
            output.Progress(i * 100 / transactions.Count, transactions[i].Verb);
            var result = await runner.RunAsync(spec, output.Line, cancellationToken);
            stdout.Add(result.Stdout);
            stderr.Add(result.Stderr);
            if (!result.Succeeded)
            {
                var (code, message) = DnfOutputParser.ClassifyFailure(result);
                PackagesLog.CommandFailed(logger, spec, result.ExitCode, code, message);
                return new CommandOutcome(result.ExitCode, string.Concat(stdout), string.Concat(stderr), code, message);
            }
        }

        output.Progress(100, "Done");
        return new CommandOutcome(0, string.Concat(stdout), string.Concat(stderr));
    }

    public async Task<bool> IsRebootRequiredAsync(CancellationToken cancellationToken)
    {
        var check = await runner.RunAsync(DnfCommands.RebootCheck(), null, cancellationToken);
        if (!check.NotFound && check.ExitCode is 0 or 1)
        {
            return check.ExitCode == 1;
        }

        // Without dnf-utils: a newer kernel installed than the one running is the reboot that matters most.
        var kernels = await runner.RunAsync(DnfCommands.Kernels(), null, cancellationToken);
        var running = await runner.RunAsync(DnfCommands.RunningKernel(), null, cancellationToken);
        return DnfUpdates.NewerKernelInstalled(kernels.Stdout, running.Stdout.Trim());
    }

    public async Task<DatabaseState> CheckDatabaseAsync(CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(DnfCommands.VerifyDatabase(), null, cancellationToken);
        ThrowIfUnusable(result, DnfCommands.Rpmdb);
        var problem = (result.Stdout + result.Stderr).Trim();
        return result.ExitCode == 0 && problem.Length == 0 ? new DatabaseState(true, null) : new DatabaseState(false, problem);
    }

    private async Task<IReadOnlyList<DnfTransaction>> TransactionsAsync(PackageOperation operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (operation.Kind == OperationKind.Upgrade)
        {
            var names = UpgradeSelection.Select(operation, await ListUpdatesAsync(cancellationToken));
            return names is { Count: 0 } ? [] : DnfCommands.Transactions(operation, names);
        }

        return operation.Kind switch
        {
            OperationKind.Rollback => DnfCommands.Transactions(operation, null,
                await GetInstalledVersionsAsync(operation.Targets.Select(t => t.Name).ToList(), cancellationToken)),
            _ => DnfCommands.Transactions(operation, null),
        };
    }

    private async Task<IReadOnlyList<InstalledPackage>> InstalledAsync(CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(DnfCommands.ListInstalled(), null, cancellationToken);
        ThrowIfUnusable(result, DnfCommands.Rpm);
        return result.ExitCode == 0
            ? DnfOutputParser.ParseInstalled(result.Stdout)
            : throw new PackageManagerException("rpm -qa failed: " + result.Stderr.Trim());
    }

    private sealed record Snapshot(StateStamp.Value Stamp, DateTimeOffset TakenAt, IReadOnlyList<InstalledPackage> Installed, IReadOnlyList<AvailableUpdate> Updates);

    private static void ThrowIfUnusable(CommandResult result, string command)
    {
        if (result.NotFound)
        {
            throw new PackageManagerException($"{command} is not installed") { ErrorCode = JobErrorCodes.CommandNotFound };
        }

        if (result.TimedOut)
        {
            throw new PackageManagerException($"{command} timed out") { ErrorCode = JobErrorCodes.Timeout };
        }
    }
}
