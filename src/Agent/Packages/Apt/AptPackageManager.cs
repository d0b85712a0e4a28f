using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Machine;

namespace PatchPortal.Agent.Packages.Apt;

/// <summary>The Debian/Ubuntu backend: dpkg-query for what is installed, apt-get for what changes.</summary>
public sealed class AptPackageManager(ICommandRunner runner, IOptions<AgentOptions> options, ILogger<AptPackageManager> logger) : IPackageManager, IDisposable
{
    private const string DpkgInfo = "/var/lib/dpkg/info";
    private const string RebootRequiredFlag = "/var/run/reboot-required";

    private readonly AptStateStamp _stamp = new() { TrustFor = StateStamp.DefaultTrust };
    private readonly SemaphoreSlim _rebuild = new(1, 1);
    private volatile Snapshot? _snapshot;
    private string? _nativeArchitecture;

    public string Name => "apt";

    public async Task<IReadOnlyList<InstalledPackage>> ListInstalledAsync(CancellationToken cancellationToken) =>
        (await GetSnapshotAsync(cancellationToken)).Installed;

    public async Task<IReadOnlyList<AvailableUpdate>> ListUpdatesAsync(CancellationToken cancellationToken)
    {
        var snapshot = await GetSnapshotAsync(cancellationToken);
        return snapshot.UpdatesError is { } error ? throw error : snapshot.Updates;
    }

    public async Task<InstalledPackageDetail?> GetPackageAsync(string name, CancellationToken cancellationToken)
    {
        var snapshot = await GetSnapshotAsync(cancellationToken);
        if (!snapshot.ByName.TryGetValue(name, out var entry))
        {
            return null;
        }

        var homepage = await RunQueryAsync(AptCommands.Homepage(name), cancellationToken);
        var files = await RunQueryAsync(AptCommands.Files(name), cancellationToken);
        var bareName = BareName(entry.Package.Name);
        return new InstalledPackageDetail
        {
            Package = entry.Package,
            Homepage = string.IsNullOrWhiteSpace(homepage.Stdout) ? null : homepage.Stdout.Trim(),
            Files = files.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(path => path != "/.").ToList(),
            // Computed from the Depends fields already in memory: apt-cache rdepends would cost a process and a cache load.
            ReverseDependencies = snapshot.Installed.Where(package => package.Dependencies.Contains(bareName, StringComparer.Ordinal))
                .Select(package => package.Name).ToList(),
            License = ReadLicense(bareName),
        };
    }

    public async Task<IReadOnlyDictionary<string, string?>> GetInstalledVersionsAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0)
        {
            return new Dictionary<string, string?>();
        }

        // dpkg-query exits 1 when some name is unknown but still prints the others: only a missing tool is a failure.
        var result = await runner.RunAsync(AptCommands.InstalledVersions(names), null, cancellationToken);
        ThrowIfUnusable(result, AptCommands.DpkgQuery);
        return AptOutputParser.ParseInstalledVersions(result.Stdout, names, await NativeArchitectureAsync(cancellationToken));
    }

    public async Task<PackagePlan> PlanAsync(PackageOperation operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        IReadOnlyList<string>? upgradeNames = null;
        if (operation.Kind == OperationKind.Upgrade)
        {
            var snapshot = await GetSnapshotAsync(cancellationToken);
            upgradeNames = UpgradeSelection.Select(operation, snapshot.UpdatesError is { } error ? throw error : snapshot.Updates);
            if (upgradeNames is null)
            {
                // The cached dist-upgrade simulation is exactly what a full upgrade would do against the same state.
                return AptOutputParser.ToPlan(snapshot.Simulation);
            }

            if (upgradeNames.Count == 0)
            {
                return new PackagePlan([], false);
            }
        }

        var result = await runner.RunAsync(AptCommands.Simulate(operation, upgradeNames), null, cancellationToken);
        if (!result.Succeeded)
        {
            var (code, message) = AptOutputParser.ClassifyFailure(result);
            throw new PackageManagerException($"apt-get could not plan the {operation.Kind} operation: {message}") { ErrorCode = code };
        }

        return AptOutputParser.ToPlan(AptOutputParser.ParseSimulation(result.Stdout));
    }

    public async Task<CommandOutcome> ExecuteAsync(PackageOperation operation, IJobOutput output, CancellationToken cancellationToken)
    {
        try
        {
            return await ExecuteOperationAsync(operation, output, cancellationToken);
        }
        finally
        {
            _stamp.Forget();
        }
    }

    private async Task<CommandOutcome> ExecuteOperationAsync(PackageOperation operation, IJobOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(output);
        IReadOnlyList<string>? upgradeNames = null;
        if (operation.Kind == OperationKind.Upgrade)
        {
            upgradeNames = UpgradeSelection.Select(operation, await ListUpdatesAsync(cancellationToken));
            if (upgradeNames is { Count: 0 })
            {
                output.Progress(100, "Nothing to upgrade");
                return new CommandOutcome(0, "Nothing to upgrade\n", string.Empty);
            }
        }

        if (await RefreshListsIfNeededAsync(operation, output, cancellationToken) is { } refreshFailure)
        {
            return refreshFailure;
        }

        var spec = AptCommands.Execute(operation, upgradeNames, TimeSpan.FromMinutes(options.Value.Jobs.TimeoutMinutes));
        var result = await RunStreamingAsync(spec, output, cancellationToken);
        if (result.Succeeded)
        {
            output.Progress(100, "Done");
        }

        return ToOutcome(spec, result, failureCode: null);
    }

    public Task<bool> IsRebootRequiredAsync(CancellationToken cancellationToken) => Task.FromResult(File.Exists(RebootRequiredFlag));

    public async Task<DatabaseState> CheckDatabaseAsync(CancellationToken cancellationToken)
    {
        var result = await RunQueryAsync(AptCommands.Audit(), cancellationToken);
        var problem = (result.Stdout + result.Stderr).Trim();
        return problem.Length == 0 && result.ExitCode == 0 ? new DatabaseState(true, null) : new DatabaseState(false, problem);
    }

    public void Dispose() => _rebuild.Dispose();

    /// <summary>Runs <c>apt-get update</c> once when something to install is not in the lists (null = nothing to do or it worked).</summary>
    private async Task<CommandOutcome?> RefreshListsIfNeededAsync(PackageOperation operation, IJobOutput output, CancellationToken cancellationToken)
    {
        var wanted = operation.Kind is OperationKind.Install or OperationKind.Update or OperationKind.Rollback
            ? operation.Targets.Where(target => operation.Kind != OperationKind.Rollback || target.Version is not null).ToList()
            : [];
        if (wanted.Count == 0)
        {
            return null;
        }

        var madison = await RunQueryAsync(AptCommands.Madison(wanted.Select(target => BareName(target.Name)).Distinct(StringComparer.Ordinal)), cancellationToken);
        var offered = AptOutputParser.ParseMadison(madison.Stdout);
        var missing = wanted.Where(target => !offered.Contains(BareName(target.Name))
            || (target.Version is not null && !offered[BareName(target.Name)].Contains(target.Version, StringComparer.Ordinal)))
            .Select(target => target.Name).ToList();
        if (missing.Count == 0)
        {
            return null;
        }

        PackagesLog.RefreshingLists(logger, missing);
        output.Progress(0, "Refreshing package lists");
        var update = AptCommands.Update();
        var result = await RunStreamingAsync(update, output, cancellationToken);
        return result.Succeeded ? null : ToOutcome(update, result, JobErrorCodes.CacheRefreshError);
    }

    private async Task<CommandResult> RunStreamingAsync(CommandSpec spec, IJobOutput output, CancellationToken cancellationToken)
    {
        PackagesLog.RunningCommand(logger, spec);
        return await runner.RunAsync(spec, (stream, line) =>
        {
            if (stream == "stdout" && AptOutputParser.ParseStatusLine(line) is { } progress)
            {
                output.Progress(progress.Percent, progress.Message);
            }
            else
            {
                output.Line(stream, line);
            }
        }, cancellationToken);
    }

    private CommandOutcome ToOutcome(CommandSpec spec, CommandResult result, string? failureCode)
    {
        // The Status-Fd lines were progress, not output: keep them out of the job's recorded stdout.
        var stdout = string.Join('\n', result.Stdout.Split('\n')
            .Where(line => AptOutputParser.ParseStatusLine(line) is null));
        if (result.Succeeded)
        {
            return new CommandOutcome(0, stdout, result.Stderr);
        }

        var (code, message) = AptOutputParser.ClassifyFailure(result);
        // A failing refresh is a cache problem to the caller, unless the cause is more specific (network, GPG).
        if (failureCode is not null && code == JobErrorCodes.PackageManagerError)
        {
            code = failureCode;
        }

        PackagesLog.CommandFailed(logger, spec, result.ExitCode, code, message);
        return new CommandOutcome(result.ExitCode, stdout, result.Stderr, code, message);
    }

    private async Task<Snapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        // Compute returns the snapshot's own fingerprint while nothing changed.
        var current = _snapshot;
        var stamp = _stamp.Compute(current?.Stamp);
        if (current is not null && ReferenceEquals(current.Stamp, stamp))
        {
            return current;
        }

        await _rebuild.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have rebuilt it while this one waited.
            var rebuilt = _snapshot;
            stamp = _stamp.Compute(rebuilt?.Stamp);
            if (rebuilt is not null && ReferenceEquals(rebuilt.Stamp, stamp))
            {
                return rebuilt;
            }

            PackagesLog.SnapshotRebuilt(logger, Name);
            var snapshot = await BuildSnapshotAsync(stamp, cancellationToken);
            _snapshot = snapshot;
            return snapshot;
        }
        finally
        {
            _rebuild.Release();
        }
    }

    private async Task<Snapshot> BuildSnapshotAsync(AptStateStamp.Value stamp, CancellationToken cancellationToken)
    {
        var native = await NativeArchitectureAsync(cancellationToken);
        var listing = RunQueryAsync(AptCommands.ListInstalled(), cancellationToken);
        var simulation = runner.RunAsync(AptCommands.SimulateDistUpgrade(), null, cancellationToken);
        var entries = AptOutputParser.ParseInstalled((await listing).Stdout, native);

        var simulated = await simulation;
        IReadOnlyList<AptSimulatedChange> changes = [];
        PackageManagerException? updatesError = null;
        if (simulated.Succeeded)
        {
            changes = AptOutputParser.ParseSimulation(simulated.Stdout);
        }
        else
        {
            // A host with broken dependencies still has an installed list worth showing; only the updates fail.
            var (code, message) = AptOutputParser.ClassifyFailure(simulated);
            updatesError = new PackageManagerException("apt-get could not compute pending updates: " + message) { ErrorCode = code };
        }

        var updates = AptOutputParser.ToUpdates(changes);
        var candidates = updates.GroupBy(update => update.Name, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.First().CandidateVersion, StringComparer.Ordinal);
        var completed = entries.Select(entry => entry with
        {
            Package = entry.Package with
            {
                AvailableVersion = candidates.GetValueOrDefault(entry.Package.Name),
                InstalledAt = InstalledAt(entry.InfoName),
            },
        }).ToList();
        var byName = new Dictionary<string, DpkgEntry>(StringComparer.Ordinal);
        foreach (var entry in completed)
        {
            byName.TryAdd(entry.Package.Name, entry);
            byName.TryAdd(entry.InfoName, entry);
        }

        return new Snapshot(stamp, completed.Select(entry => entry.Package).ToList(), updates, changes, byName, updatesError);
    }

    private async Task<string> NativeArchitectureAsync(CancellationToken cancellationToken)
    {
        if (_nativeArchitecture is { } known)
        {
            return known;
        }

        var result = await RunQueryAsync(AptCommands.NativeArchitecture(), cancellationToken);
        return _nativeArchitecture = result.Stdout.Trim();
    }

    /// <summary>Runs a read-only query; a missing tool, a timeout or a non-zero exit is unexpected here.</summary>
    private async Task<CommandResult> RunQueryAsync(CommandSpec spec, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(spec, null, cancellationToken);
        ThrowIfUnusable(result, spec.ToString());
        if (result.ExitCode != 0)
        {
            throw new PackageManagerException($"{spec} failed with exit code {result.ExitCode}: {result.Stderr.Trim()}");
        }

        return result;
    }

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

    private static DateTimeOffset? InstalledAt(string infoName)
    {
        // dpkg rewrites a package's file list when it unpacks it, so its mtime is when that version was installed.
        var list = new FileInfo(Path.Combine(DpkgInfo, infoName + ".list"));
        return list.Exists ? new DateTimeOffset(list.LastWriteTimeUtc, TimeSpan.Zero) : null;
    }

    private static string? ReadLicense(string name)
    {
        var copyright = Path.Combine("/usr/share/doc", name, "copyright");
        try
        {
            // Machine-readable copyright files name the main licence near the top; reading further is not worth it.
            return File.Exists(copyright) ? AptOutputParser.ParseLicense(File.ReadLines(copyright).Take(400)) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string BareName(string name)
    {
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? name : name[..colon];
    }

    private sealed record Snapshot(
        AptStateStamp.Value Stamp,
        IReadOnlyList<InstalledPackage> Installed,
        IReadOnlyList<AvailableUpdate> Updates,
        IReadOnlyList<AptSimulatedChange> Simulation,
        IReadOnlyDictionary<string, DpkgEntry> ByName,
        PackageManagerException? UpdatesError);
}
