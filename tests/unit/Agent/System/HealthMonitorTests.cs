using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Machine;
using PatchPortal.Agent.Packages;
using PatchPortal.Agent.Security;
using PatchPortal.Tests.Unit.Agent.Jobs;

namespace PatchPortal.Tests.Unit.Agent.Machine;

/// <summary>
/// The health report over a real job manager, a real server certificate (valid for 20 more days) and a fake clock:
/// its checks follow the job queue and the certificate's age, and are reused while nothing they depend on changed.
/// </summary>
public sealed class HealthMonitorTests : IAsyncDisposable
{
    private readonly string _pki = Directory.CreateTempSubdirectory("patchportal-health-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly JobsTestContext _jobs = new();
    private readonly TlsMaterial _tls;
    private readonly HealthMonitor _health;

    public HealthMonitorTests()
    {
        _tls = LoadCertificateValidFor(TimeSpan.FromDays(20));
        _health = new HealthMonitor(_jobs.Packages, _jobs.Manager, _tls, _time);
    }

    [Fact]
    public async Task CheckAsync_ReusesTheChecks_WhileNothingChanged()
    {
        var first = await _health.CheckAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(5));
        var second = await _health.CheckAsync(CancellationToken.None);

        Assert.Equal("healthy", first.Status);
        Assert.Same(first.Checks, second.Checks);
        Assert.Equal(5, second.UptimeSeconds - first.UptimeSeconds);
        Assert.Equal(["config", "certificates", "package_manager", "job_queue"], first.Checks.Keys);
        Assert.Equal(new HealthCheckResult("ok", "fake: package database consistent"), first.Checks["package_manager"]);
    }

    [Fact]
    public async Task CheckAsync_FollowsTheJobQueue()
    {
        await _jobs.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _jobs.Packages.BeforeApply = (_, _, _) => release.Task;
        Assert.Equal("idle", (await _health.CheckAsync(CancellationToken.None)).Checks["job_queue"].Message);

        var job = _jobs.Submit(OperationKind.Install, new PackageTarget("curl", null));
        await _jobs.WaitForStatusAsync(job.JobId, JobStatuses.Running);
        Assert.Equal("a package job is pending or running", (await _health.CheckAsync(CancellationToken.None)).Checks["job_queue"].Message);

        release.SetResult();
        await _jobs.WaitForStatusAsync(job.JobId, JobStatuses.Completed);
        Assert.Equal("idle", (await _health.CheckAsync(CancellationToken.None)).Checks["job_queue"].Message);
    }

    [Fact]
    public async Task CheckAsync_WarnsBeforeTheCertificateExpires_AndFailsAfter()
    {
        var expires = _tls.ServerCertificateExpiresAt;

        _time.Advance(TimeSpan.FromDays(7));
        var warned = await _health.CheckAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(14));
        var failed = await _health.CheckAsync(CancellationToken.None);

        Assert.Equal("degraded", warned.Status);
        Assert.Equal(new HealthCheckResult("warning", $"server certificate expires at {expires:O}"), warned.Checks["certificates"]);
        Assert.Equal("unhealthy", failed.Status);
        Assert.Equal(new HealthCheckResult("error", $"server certificate expired at {expires:O}"), failed.Checks["certificates"]);
    }

    [Fact]
    public async Task CheckAsync_AnswersFromThePreviousCheck_WhileTheNextOneRuns()
    {
        Assert.Equal("healthy", (await _health.CheckAsync(CancellationToken.None)).Status);
        var audit = new TaskCompletionSource<DatabaseState>(TaskCreationOptions.RunContinuationsAsynchronously);
        _jobs.Packages.CheckDatabase = _ => audit.Task;
        _time.Advance(HealthMonitor.CacheFor);

        var during = _health.CheckAsync(CancellationToken.None);

        Assert.True(during.IsCompleted, "a probe waited for a check while an earlier one could answer");
        Assert.Equal("healthy", (await during).Status);
        audit.SetResult(new DatabaseState(false, "The following packages are only half configured: curl"));
        var after = await UntilAsync(() => _health.CheckAsync(CancellationToken.None), r => r.Status == "unhealthy");
        Assert.Equal(new HealthCheckResult("error", "fake: The following packages are only half configured: curl"), after.Checks["package_manager"]);
        Assert.Equal(2, _jobs.Packages.DatabaseChecks);
    }

    [Fact]
    public async Task CheckAsync_ReportsACheckThatDoesNotFinish_AsFailed_WithoutWaitingLongerThanTheCheckTimeout()
    {
        _jobs.Packages.CheckDatabase = cancellationToken => Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => new DatabaseState(true, null), TaskScheduler.Default);

        var first = _health.CheckAsync(CancellationToken.None).AsTask();
        Assert.False(first.IsCompleted);
        _time.Advance(HealthMonitor.CheckTimeout);
        var report = await first.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("unhealthy", report.Status);
        Assert.Equal(new HealthCheckResult("error", "fake: the package database check has not finished within 20 s"), report.Checks["package_manager"]);
        Assert.Equal(1, _jobs.Packages.DatabaseChecks); // the probes share the one check that hangs
        Assert.Equal("unhealthy", (await _health.CheckAsync(CancellationToken.None)).Status);
        Assert.Equal(1, _jobs.Packages.DatabaseChecks);
    }

    [Fact]
    public async Task Invalidate_StartsANewCheck_RatherThanWaitingForOneThatSawTheSystemBefore()
    {
        await _health.CheckAsync(CancellationToken.None);
        var stale = new TaskCompletionSource<DatabaseState>(TaskCreationOptions.RunContinuationsAsynchronously);
        _jobs.Packages.CheckDatabase = _ => stale.Task;
        _time.Advance(HealthMonitor.CacheFor);
        await _health.CheckAsync(CancellationToken.None); // starts the second check, which now hangs

        _health.Invalidate();
        _jobs.Packages.CheckDatabase = _ => Task.FromResult(new DatabaseState(false, "dpkg was interrupted"));
        var report = await _health.CheckAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        stale.SetResult(new DatabaseState(true, null));

        Assert.Equal(3, _jobs.Packages.DatabaseChecks);
        Assert.Equal("fake: dpkg was interrupted", report.Checks["package_manager"].Message);
        for (var probe = 0; probe < 20; probe++)
        {
            Assert.Equal("unhealthy", (await _health.CheckAsync(CancellationToken.None)).Status); // the stale answer is not kept
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _health.Dispose();
        _tls.Dispose();
        await _jobs.DisposeAsync();
        Directory.Delete(_pki, recursive: true);
    }

    private static async Task<HealthResponse> UntilAsync(Func<ValueTask<HealthResponse>> probe, Func<HealthResponse, bool> done)
    {
        for (var attempt = 0; ; attempt++)
        {
            var report = await probe();
            if (done(report) || attempt == 200)
            {
                return report;
            }

            await Task.Delay(10);
        }
    }

    private TlsMaterial LoadCertificateValidFor(TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=health-test", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.Add(validity));
        var certificatePath = Path.Combine(_pki, "server.pem");
        var keyPath = Path.Combine(_pki, "server.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return TlsMaterial.Load(certificatePath, keyPath, certificatePath);
    }
}
