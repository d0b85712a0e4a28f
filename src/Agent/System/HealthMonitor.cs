using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;
using PatchPortal.Agent.Packages;
using PatchPortal.Agent.Security;

namespace PatchPortal.Agent.Machine;

/// <summary>
/// The agent's health. The expensive checks (package database audit, reboot-required) are cached for a short while
/// and refreshed by one caller at a time, so monitoring at any rate costs the host nothing.
/// </summary>
public sealed class HealthMonitor(IPackageManager packages, IJobManager jobs, TlsMaterial tls, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CertificateWarning = TimeSpan.FromDays(14);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly long _startedAt = time.GetTimestamp();
    private Snapshot? _snapshot;

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

    /// <summary>Whether the host needs a reboot, from the cached snapshot.</summary>
    public async Task<bool> RebootRequiredAsync(CancellationToken cancellationToken) => (await CurrentAsync(cancellationToken)).RebootRequired;

    /// <summary>Forgets the cached snapshot (after a job changed the system).</summary>
    public void Invalidate() => _snapshot = null;

    public void Dispose() => _refresh.Dispose();

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
        _snapshot is { } fresh && time.GetUtcNow() - fresh.TakenAt < CacheFor ? ValueTask.FromResult(fresh) : new ValueTask<Snapshot>(RefreshAsync(cancellationToken));

    private async Task<Snapshot> RefreshAsync(CancellationToken cancellationToken)
    {
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_snapshot is { } again && time.GetUtcNow() - again.TakenAt < CacheFor)
            {
                return again;
            }

            var database = await packages.CheckDatabaseAsync(cancellationToken);
            var reboot = await packages.IsRebootRequiredAsync(cancellationToken);
            return _snapshot = new Snapshot(time.GetUtcNow(), database, reboot);
        }
        finally
        {
            _refresh.Release();
        }
    }
}
