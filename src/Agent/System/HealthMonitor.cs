using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;
using PatchPortal.Agent.Packages;
using PatchPortal.Agent.Security;

namespace PatchPortal.Agent.Machine;

/// <summary>
/// The agent's health. The expensive checks (package database audit, reboot-required) run in the background, one at a
/// time, at most every <see cref="CacheFor"/>; a probe never waits on them longer than <see cref="CheckTimeout"/> from
/// the check's start. While a check runs, probes are answered from the previous one; a check that has not finished
/// within <see cref="CheckTimeout"/> is reported as a failed package_manager check, so a hung <c>dpkg --audit</c>
/// shows as unhealthy with its reason, not as a probe that times out.
/// </summary>
public sealed class HealthMonitor(IPackageManager packages, IJobManager jobs, TlsMaterial tls, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan CertificateWarning = TimeSpan.FromDays(14);

    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly long _startedAt = time.GetTimestamp();
    private Snapshot? _snapshot;
    private Task<Snapshot>? _refresh;
    private long _refreshStartedAt;
    private int _generation;

    private CheckSet? _checks;

    private sealed record Snapshot(DateTimeOffset TakenAt, DatabaseState Database, bool RebootRequired);

    private enum CertificateState
    {
        Valid,
        ExpiresSoon,
        Expired,
    }

    /// <summary>The checks for one combination of their inputs: monitors poll often, and the inputs rarely change.</summary>
    private sealed record CheckSet(Snapshot Snapshot, bool PackageJobActive, CertificateState Certificate, IReadOnlyDictionary<string, HealthCheckResult> Checks, string Status);

    public async ValueTask<HealthResponse> CheckAsync(CancellationToken cancellationToken)
    {
        var snapshot = await CurrentAsync(cancellationToken);
        var now = time.GetUtcNow();
        var expires = tls.ServerCertificateExpiresAt;
        var certificate = expires < now ? CertificateState.Expired : expires - now < CertificateWarning ? CertificateState.ExpiresSoon : CertificateState.Valid;
        var packageJobActive = jobs.HasActivePackageJob;
        var checks = _checks;
        if (checks is null || checks.Snapshot != snapshot || checks.PackageJobActive != packageJobActive || checks.Certificate != certificate)
        {
            _checks = checks = Evaluate(snapshot, packageJobActive, certificate, expires);
        }

        return new HealthResponse
        {
            Status = checks.Status,
            Version = SystemInfoProvider.AgentVersion,
            UptimeSeconds = (long)time.GetElapsedTime(_startedAt).TotalSeconds,
            Checks = checks.Checks,
            RebootRequired = snapshot.RebootRequired,
            CertificateExpiresAt = expires,
        };
    }

    /// <summary>Whether the host needs a reboot, from the latest check.</summary>
    public async Task<bool> RebootRequiredAsync(CancellationToken cancellationToken) => (await CurrentAsync(cancellationToken)).RebootRequired;

    /// <summary>Forgets the latest check (after a job changed the system): the next probe starts a new one and waits for it.</summary>
    public void Invalidate()
    {
        lock (_gate)
        {
            _generation++;
            _snapshot = null;
            _refresh = null; // a check still running saw the system before the change: its answer is not waited for
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private CheckSet Evaluate(Snapshot snapshot, bool packageJobActive, CertificateState certificate, DateTimeOffset expires)
    {
        var checks = new Dictionary<string, HealthCheckResult>
        {
            ["config"] = new("ok", null),
            ["certificates"] = certificate switch
            {
                CertificateState.Expired => new("error", $"server certificate expired at {expires:O}"),
                CertificateState.ExpiresSoon => new("warning", $"server certificate expires at {expires:O}"),
                _ => new("ok", $"server certificate valid until {expires:O}"),
            },
            ["package_manager"] = snapshot.Database.Consistent
                ? new("ok", $"{packages.Name}: package database consistent")
                : new("error", $"{packages.Name}: {snapshot.Database.Problem}"),
            ["job_queue"] = new("ok", packageJobActive ? "a package job is pending or running" : "idle"),
        };

        var status = checks.Values.Any(c => c.Status == "error") ? "unhealthy" : checks.Values.Any(c => c.Status == "warning") ? "degraded" : "healthy";
        return new CheckSet(snapshot, packageJobActive, certificate, checks.AsReadOnly(), status);
    }

    private ValueTask<Snapshot> CurrentAsync(CancellationToken cancellationToken) =>
        _snapshot is { } fresh && time.GetUtcNow() - fresh.TakenAt < CacheFor ? ValueTask.FromResult(fresh) : new ValueTask<Snapshot>(AwaitCheckAsync(cancellationToken));

    /// <summary>The previous check while a new one runs (and has not overrun), else the new one, waited for until it overruns.</summary>
    private async Task<Snapshot> AwaitCheckAsync(CancellationToken cancellationToken)
    {
        Snapshot? previous;
        Task<Snapshot> refresh;
        TimeSpan running;
        lock (_gate)
        {
            previous = _snapshot;
            if (previous is not null && time.GetUtcNow() - previous.TakenAt < CacheFor)
            {
                return previous;
            }

            if (_refresh is null || _refresh.IsCompleted)
            {
                _refreshStartedAt = time.GetTimestamp();
                _refresh = RefreshAsync(_generation, _stopping.Token);
            }

            refresh = _refresh;
            running = time.GetElapsedTime(_refreshStartedAt);
        }

        if (running < CheckTimeout && (previous is null || refresh.IsCompleted))
        {
            try
            {
                return await refresh.WaitAsync(CheckTimeout - running, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                running = CheckTimeout;
            }
        }

        return running < CheckTimeout && previous is not null
            ? previous
            : new Snapshot(time.GetUtcNow(), new DatabaseState(false, $"the package database check has not finished within {CheckTimeout.TotalSeconds:0} s"),
                previous?.RebootRequired ?? false);
    }

    /// <summary>One check of the package database and the reboot flag; kept as the latest unless a job changed the system meanwhile.</summary>
    private async Task<Snapshot> RefreshAsync(int generation, CancellationToken stopping)
    {
        await Task.Yield(); // the probe that started the check goes on to wait for it with its own timeout
        DatabaseState database;
        bool reboot;
        try
        {
            database = await packages.CheckDatabaseAsync(stopping);
            reboot = await packages.IsRebootRequiredAsync(stopping);
        }
        catch (Exception ex) when (ex is PackageManagerException or InvalidOperationException or IOException)
        {
            database = new DatabaseState(false, ex.Message);
            reboot = _snapshot?.RebootRequired ?? false;
        }

        var snapshot = new Snapshot(time.GetUtcNow(), database, reboot);
        lock (_gate)
        {
            if (generation == _generation)
            {
                _snapshot = snapshot;
            }
        }

        return snapshot;
    }
}
