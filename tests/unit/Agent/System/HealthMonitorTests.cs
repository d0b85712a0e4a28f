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

    public async ValueTask DisposeAsync()
    {
        _health.Dispose();
        _tls.Dispose();
        await _jobs.DisposeAsync();
        Directory.Delete(_pki, recursive: true);
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
