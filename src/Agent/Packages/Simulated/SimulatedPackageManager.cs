using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Contracts;

namespace PatchPortal.Agent.Packages.Simulated;

/// <summary>The named demo and load-test backend: a generated Debian-like host whose changes persist in DataDir.</summary>
/// <remarks>It runs no process and touches nothing outside its state file, so it is safe on any machine.</remarks>
public sealed class SimulatedPackageManager : IPackageManager
{
    public const string StateFileName = "simulated-state.json";

    private static readonly JsonTypeInfo<SimulatedState> StateTypeInfo =
        (JsonTypeInfo<SimulatedState>)Json.AgentWireJson.WithMetadata(new JsonSerializerOptions { WriteIndented = false }).GetTypeInfo(typeof(SimulatedState));

    private readonly SimulatedOptions _options;
    private readonly string _statePath;
    private readonly Lock _gate = new();
    private readonly Random _failures;
    private readonly SimulatedState _state;

    public SimulatedPackageManager(IOptions<AgentOptions> options, ILogger<SimulatedPackageManager> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Simulated;
        _statePath = Path.Combine(options.Value.DataDir, StateFileName);
        _failures = new Random(_options.Seed);
        _state = Load(_statePath, logger) ?? SimulatedCatalog.Generate(_options.Seed, _options.PackageCount, _options.PendingUpdates);
    }

    public string Name => "simulated";

    public Task<IReadOnlyList<InstalledPackage>> ListInstalledAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<InstalledPackage> list = _state.Installed.Values.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => ToInstalled(p) with { AvailableVersion = Candidate(p) }).ToList();
            return Task.FromResult(list);
        }
    }

    public Task<InstalledPackageDetail?> GetPackageAsync(string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_state.Installed.TryGetValue(name, out var package))
            {
                return Task.FromResult<InstalledPackageDetail?>(null);
            }

            return Task.FromResult<InstalledPackageDetail?>(new InstalledPackageDetail
            {
                Package = ToInstalled(package) with { AvailableVersion = Candidate(package) },
                ReverseDependencies = _state.Installed.Values.Where(p => p.Dependencies.Contains(name)).Select(p => p.Name).Order(StringComparer.Ordinal).ToList(),
                Homepage = $"https://packages.debian.org/bookworm/{name}",
                License = "GPL-2+",
                Files = [$"/usr/share/doc/{name}/copyright", $"/usr/share/doc/{name}/changelog.Debian.gz"],
            });
        }
    }

    public Task<IReadOnlyList<AvailableUpdate>> ListUpdatesAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<AvailableUpdate>>(PendingUpdates());
        }
    }

    public Task<IReadOnlyDictionary<string, string?>> GetInstalledVersionsAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        lock (_gate)
        {
            IReadOnlyDictionary<string, string?> versions = names.Distinct(StringComparer.Ordinal)
                .ToDictionary(name => name, name => _state.Installed.TryGetValue(name, out var p) ? p.Version : null, StringComparer.Ordinal);
            return Task.FromResult(versions);
        }
    }

    public Task<PackagePlan> PlanAsync(PackageOperation operation, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var (changes, _) = Resolve(operation);
            return Task.FromResult(new PackagePlan(changes, changes.Any(c => RebootHeuristic.IsRebootPackageDebian(c.Package))));
        }
    }

    public async Task<CommandOutcome> ExecuteAsync(PackageOperation operation, IJobOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        List<PlannedPackageChange> changes;
        lock (_gate)
        {
            var (resolved, missing) = Resolve(operation);
            if (missing is not null)
            {
                var message = $"E: Unable to locate package {missing}";
                output.Line("stderr", message);
                return new CommandOutcome(100, string.Empty, message + "\n", JobErrorCodes.PackageNotFound, message);
            }

            changes = resolved;
        }

        var log = new List<string>();
        void Emit(string line)
        {
            log.Add(line);
            output.Line("stdout", line);
        }

        // Each change gets an "Unpacking" and a "Setting up" tick; the configured duration is spread evenly over them.
        var ticks = Math.Max(1, changes.Count * 2);
        var tickDelay = TimeSpan.FromMilliseconds((double)_options.JobDurationMs / ticks);
        bool fails;
        lock (_gate)
        {
            fails = _failures.NextDouble() < _options.FailureRate;
        }

        var failAt = fails ? ticks / 2 : -1;
        Emit($"{changes.Count} package changes planned (simulated)");
        for (var tick = 0; tick < ticks; tick++)
        {
            await Task.Delay(tickDelay, cancellationToken);
            if (tick == failAt)
            {
                const string Failure = "E: Sub-process /usr/bin/dpkg returned an error code (1) (simulated failure)";
                output.Line("stderr", Failure);
                return new CommandOutcome(100, string.Join('\n', log), Failure + "\n", JobErrorCodes.PackageManagerError, Failure);
            }

            if (changes.Count > 0)
            {
                var change = changes[tick / 2];
                Emit(tick % 2 == 0 ? Describe(change) : $"Setting up {change.Package} ({change.To ?? change.From}) ...");
            }

            output.Progress((tick + 1) * 100 / ticks, changes.Count > 0 ? changes[tick / 2].Package : "Nothing to do");
        }

        lock (_gate)
        {
            Apply(changes);
            Save();
        }

        return new CommandOutcome(0, string.Join('\n', log), string.Empty);
    }

    public Task<bool> IsRebootRequiredAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_state.RebootRequired);
        }
    }

    public Task<DatabaseState> CheckDatabaseAsync(CancellationToken cancellationToken) => Task.FromResult(new DatabaseState(true, null));

    /// <summary>What a simulated reboot does (Agent:Simulated:SimulateReboot): the host comes back with the flag cleared.</summary>
    public void MarkRebooted()
    {
        lock (_gate)
        {
            _state.RebootRequired = false;
            Save();
        }
    }

    private static string Describe(PlannedPackageChange change) => change switch
    {
        { To: null } => $"Removing {change.Package} ({change.From}) ...",
        { From: null } => $"Unpacking {change.Package} ({change.To}) ...",
        _ => $"Unpacking {change.Package} ({change.To}) over ({change.From}) ...",
    };

    private List<AvailableUpdate> PendingUpdates() =>
        _state.Installed.Values
            .Where(p => _state.Repository.TryGetValue(p.Name, out var c) && c.Version != p.Version)
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p =>
            {
                var candidate = _state.Repository[p.Name];
                return new AvailableUpdate
                {
                    Name = p.Name,
                    CurrentVersion = p.Version,
                    CandidateVersion = candidate.Version,
                    Architecture = p.Architecture,
                    IsSecurity = candidate.Security,
                    Source = candidate.Security ? "Debian-Security:12/bookworm-security" : "Debian:12.8/stable",
                    RequiresReboot = RebootHeuristic.IsRebootPackageDebian(p.Name),
                    Description = p.Description,
                    Severity = candidate.Security ? "high" : null,
                };
            })
            .ToList();

    /// <summary>The changes <paramref name="operation"/> makes, or the first name the repositories do not know.</summary>
    private (List<PlannedPackageChange> Changes, string? Missing) Resolve(PackageOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var changes = new List<PlannedPackageChange>();
        string? Installed(string name) => _state.Installed.TryGetValue(name, out var p) ? p.Version : null;
        string? Candidate(string name) => _state.Repository.TryGetValue(name, out var c) ? c.Version : null;

        if (operation.Kind == OperationKind.Upgrade)
        {
            var updates = PendingUpdates();
            var names = UpgradeSelection.Select(operation, updates) ?? updates.Select(u => u.Name).ToList();
            return (names.Select(name => new PlannedPackageChange(name, Installed(name), Candidate(name))).ToList(), null);
        }

        foreach (var target in operation.Targets)
        {
            var current = Installed(target.Name);
            var removes = operation.Kind == OperationKind.Remove || (operation.Kind == OperationKind.Rollback && target.Version is null);
            if (removes)
            {
                if (current is not null)
                {
                    changes.Add(new PlannedPackageChange(target.Name, current, null));
                }

                continue;
            }

            if (Candidate(target.Name) is not { } candidate)
            {
                return (changes, target.Name);
            }

            var wanted = target.Version ?? candidate;
            // Update only touches installed packages (apt's --only-upgrade); install of an installed version is a no-op.
            if (wanted != current && (operation.Kind != OperationKind.Update || current is not null))
            {
                changes.Add(new PlannedPackageChange(target.Name, current, wanted));
            }
        }

        return (changes, null);
    }

    private void Apply(List<PlannedPackageChange> changes)
    {
        foreach (var change in changes)
        {
            if (change.To is null)
            {
                _state.Installed.Remove(change.Package);
                continue;
            }

            var description = _state.Repository.TryGetValue(change.Package, out var c) ? c.Description : change.Package;
            _state.Installed[change.Package] = _state.Installed.TryGetValue(change.Package, out var existing)
                ? existing with { Version = change.To, InstalledAt = DateTimeOffset.UtcNow }
                : new SimulatedPackage(change.Package, change.To, "amd64", 256 * 1024, description, ["libc6"], DateTimeOffset.UtcNow);
            _state.RebootRequired |= RebootHeuristic.IsRebootPackageDebian(change.Package);
        }
    }

    private void Save()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_statePath)!);
        // Write then rename, so a crash mid-write never leaves a torn state file behind.
        var temporary = _statePath + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(_state, StateTypeInfo));
        File.Move(temporary, _statePath, overwrite: true);
    }

    private static SimulatedState? Load(string path, ILogger logger)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var state = JsonSerializer.Deserialize(File.ReadAllText(path), StateTypeInfo);
            return state is null ? null : new SimulatedState
            {
                Installed = new Dictionary<string, SimulatedPackage>(state.Installed, StringComparer.Ordinal),
                Repository = new Dictionary<string, SimulatedCandidate>(state.Repository, StringComparer.Ordinal),
                RebootRequired = state.RebootRequired,
            };
        }
        catch (JsonException exception)
        {
            PackagesLog.SimulatedStateUnreadable(logger, path, exception);
            return null;
        }
    }

    /// <summary>The repository's version when it differs from the installed one (an upgrade is pending), else null.</summary>
    private string? Candidate(SimulatedPackage package) =>
        _state.Repository.TryGetValue(package.Name, out var candidate) && candidate.Version != package.Version ? candidate.Version : null;

    private static InstalledPackage ToInstalled(SimulatedPackage package) => new()
    {
        Name = package.Name,
        Version = package.Version,
        Architecture = package.Architecture,
        Description = package.Description,
        SizeBytes = package.SizeBytes,
        InstalledAt = package.InstalledAt,
        Dependencies = package.Dependencies,
        Maintainer = "Debian Developers <debian-devel@lists.debian.org>",
    };
}
