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

    private sealed record Snapshot(DateTimeOffset TakenAt, DatabaseState Database, bool RebootRequired);

    public async Task<HealthResponse> CheckAsync(CancellationToken cancellationToken)
    {
        var snapshot = await CurrentAsync(cancellationToken);
        var now = time.GetUtcNow();
        var expires = tls.ServerCertificateExpiresAt;
        var checks = new Dictionary<string, HealthCheckResult>
        {
            ["config"] = new("ok", null),
            ["certificates"] = expires < now
                ? new("error", $"server certificate expired at {expires:O}")
                : expires - now < CertificateWarning ? new("warning", $"server certificate expires at {expires:O}") : new("ok", $"server certificate valid until {expires:O}"),
            ["package_manager"] = snapshot.Database.Consistent
                ? new("ok", $"{packages.Name}: package database consistent")
                : new("error", $"{packages.Name}: {snapshot.Database.Problem}"),
            ["job_queue"] = new("ok", jobs.HasActivePackageJob ? "a package job is pending or running" : "idle"),
        };

        var status = checks.Values.Any(c => c.Status == "error") ? "unhealthy" : checks.Values.Any(c => c.Status == "warning") ? "degraded" : "healthy";
        return new HealthResponse
        {
            Status = status,
            Version = SystemInfoProvider.AgentVersion,
            UptimeSeconds = (long)time.GetElapsedTime(_startedAt).TotalSeconds,
            Checks = checks,
            RebootRequired = snapshot.RebootRequired,
            CertificateExpiresAt = expires,
        };
    }

    /// <summary>Whether the host needs a reboot, from the cached snapshot.</summary>
    public async Task<bool> RebootRequiredAsync(CancellationToken cancellationToken) => (await CurrentAsync(cancellationToken)).RebootRequired;

    /// <summary>Forgets the cached snapshot (after a job changed the system).</summary>
    public void Invalidate() => _snapshot = null;

    public void Dispose() => _refresh.Dispose();

    private async Task<Snapshot> CurrentAsync(CancellationToken cancellationToken)
    {
        if (_snapshot is { } fresh && time.GetUtcNow() - fresh.TakenAt < CacheFor)
        {
            return fresh;
        }

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
