using System.Collections.Concurrent;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Tests.Unit.Agent.Jobs;

/// <summary>An in-memory package database that carries out operations for real on its own state, and records how it was called.</summary>
internal sealed class FakePackageManager : IPackageManager
{
    private readonly ConcurrentDictionary<string, string> _installed = new(StringComparer.Ordinal);
    private int _running;
    private int _databaseChecks;
    private int _maxRunning;

    public FakePackageManager(IDictionary<string, string>? installed = null)
    {
        foreach (var (name, version) in installed ?? new Dictionary<string, string>())
        {
            _installed[name] = version;
        }
    }

    /// <summary>Candidate versions an Upgrade brings.</summary>
    public ConcurrentDictionary<string, string> Candidates { get; } = new(StringComparer.Ordinal);

    /// <summary>Extra packages an install pulls in (name → version), as a dependency resolver would.</summary>
    public ConcurrentDictionary<string, string> Dependencies { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs inside ExecuteAsync before the operation is applied; may block, write output, or throw.</summary>
    public Func<PackageOperation, IJobOutput, CancellationToken, Task>? BeforeApply { get; set; }

    /// <summary>When set, ExecuteAsync applies nothing and returns this failure.</summary>
    public CommandOutcome? Failure { get; set; }

    public ConcurrentQueue<PackageOperation> Executed { get; } = new();

    public int MaxConcurrentExecutions => Volatile.Read(ref _maxRunning);

    public string Name => "fake";

    public string? VersionOf(string name) => _installed.GetValueOrDefault(name);

    public Task<IReadOnlyList<InstalledPackage>> ListInstalledAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<InstalledPackage>>([.. _installed.Select(p => new InstalledPackage { Name = p.Key, Version = p.Value })]);

    public Task<InstalledPackageDetail?> GetPackageAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_installed.TryGetValue(name, out var version)
            ? new InstalledPackageDetail { Package = new InstalledPackage { Name = name, Version = version } }
            : null);

    public Task<IReadOnlyList<AvailableUpdate>> ListUpdatesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<AvailableUpdate>>([.. Candidates.Select(c => new AvailableUpdate { Name = c.Key, CandidateVersion = c.Value })]);

    public Task<IReadOnlyDictionary<string, string?>> GetInstalledVersionsAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string?>>(names.ToDictionary(n => n, n => _installed.GetValueOrDefault(n)));

    public Task<PackagePlan> PlanAsync(PackageOperation operation, CancellationToken cancellationToken)
    {
        var changes = Compute(operation).Select(c => new PlannedPackageChange(c.Key, _installed.GetValueOrDefault(c.Key), c.Value)).ToList();
        return Task.FromResult(new PackagePlan(changes, RequiresReboot: false));
    }

    public async Task<CommandOutcome> ExecuteAsync(PackageOperation operation, IJobOutput output, CancellationToken cancellationToken)
    {
        var running = Interlocked.Increment(ref _running);
        int seen;
        while ((seen = Volatile.Read(ref _maxRunning)) < running && Interlocked.CompareExchange(ref _maxRunning, running, seen) != seen)
        {
        }

        try
        {
            Executed.Enqueue(operation);
            if (BeforeApply is not null)
            {
                await BeforeApply(operation, output, cancellationToken);
            }

            if (Failure is not null)
            {
                return Failure;
            }

            foreach (var (name, version) in Compute(operation))
            {
                if (version is null)
                {
                    _installed.TryRemove(name, out _);
                }
                else
                {
                    _installed[name] = version;
                }

                output.Line("stdout", $"Setting up {name} ({version ?? "removed"})");
            }

            output.Progress(100, "done");
            return new CommandOutcome(0, "ok", string.Empty);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public Task<bool> IsRebootRequiredAsync(CancellationToken cancellationToken) => Task.FromResult(false);

    /// <summary>Replaces the database audit (a consistent database by default), e.g. to hold it or make it fail.</summary>
    public Func<CancellationToken, Task<DatabaseState>>? CheckDatabase { get; set; }

    public int DatabaseChecks => Volatile.Read(ref _databaseChecks);

    public Task<DatabaseState> CheckDatabaseAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _databaseChecks);
        return CheckDatabase?.Invoke(cancellationToken) ?? Task.FromResult(new DatabaseState(true, null));
    }

    /// <summary>What the operation sets each package to (null = removed).</summary>
    private Dictionary<string, string?> Compute(PackageOperation operation)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        switch (operation.Kind)
        {
            case OperationKind.Install:
            case OperationKind.Update:
                foreach (var target in operation.Targets)
                {
                    result[target.Name] = target.Version ?? Candidates.GetValueOrDefault(target.Name) ?? "1.0";
                }

                foreach (var (name, version) in Dependencies)
                {
                    if (!_installed.ContainsKey(name))
                    {
                        result[name] = version;
                    }
                }

                break;
            case OperationKind.Remove:
                foreach (var target in operation.Targets)
                {
                    result[target.Name] = null;
                }

                break;
            case OperationKind.Upgrade:
                foreach (var (name, version) in Candidates)
                {
                    if ((operation.Targets.Count == 0 || operation.Targets.Any(t => t.Name == name)) && _installed.ContainsKey(name))
                    {
                        result[name] = version;
                    }
                }

                break;
            case OperationKind.Rollback:
                foreach (var target in operation.Targets)
                {
                    result[target.Name] = target.Version;
                }

                break;
        }

        return result;
    }
}
