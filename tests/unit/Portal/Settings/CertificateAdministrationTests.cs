using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Enrollment;
using PatchPortal.Portal.Settings.Certificates;

namespace PatchPortal.Tests.Unit.Portal.Settings;

public sealed class CertificateAdministrationTests : IAsyncLifetime
{
    private PortalTestHost _portal = null!;
    private string _fingerprint = null!;

    private CertificateAdministration Certificates => _portal.Services.GetRequiredService<CertificateAdministration>();

    public async Task InitializeAsync()
    {
        _portal = await PortalTestHost.StartAsync(addFeatures: b => b.AddAgentConnectivity());
        Guid hostId;
        await using (var db = _portal.CreateDbContext())
        {
            var host = new ManagedHost { Name = "db-01", Address = "192.0.2.20", CreatedAt = DateTimeOffset.UtcNow };
            db.Hosts.Add(host);
            await db.SaveChangesAsync();
            hostId = host.Id;
        }

        var enrollment = _portal.Services.GetRequiredService<HostEnrollment>();
        var ticket = await enrollment.IssueTokenAsync(hostId, "admin", null, CancellationToken.None);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=db-01", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        var outcome = await enrollment.CompleteAsync(new EnrollmentRequest { Token = ticket.Token, CsrPem = csr }, null, CancellationToken.None);
        using var certificate = X509Certificate2.CreateFromPem(outcome.Response!.CertificatePem);
        _fingerprint = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task GetPage_ListsIssuedCertificatesWithTheirHost()
    {
        var (items, total) = await Certificates.GetPageAsync(new CertificateQuery("db-", false, null, false, 0, 25), CancellationToken.None);

        Assert.Equal(1, total);
        Assert.Equal("db-01", Assert.Single(items).HostName);
        Assert.Equal(_fingerprint, items[0].Fingerprint);
    }

    [Fact]
    public async Task Revoke_RecordsAuditsAndTellsTheAgentClient()
    {
        var id = (await Certificates.GetPageAsync(new CertificateQuery(null, false, null, false, 0, 25), CancellationToken.None)).Items.Single().Id;

        var error = await Certificates.RevokeAsync(id, "key left on a decommissioned disk", "admin@example.com", "198.51.100.1", CancellationToken.None);

        Assert.Null(error);
        Assert.True(_portal.Services.GetRequiredService<RevokedCertificates>().Contains(_fingerprint));
        await using var db = _portal.CreateDbContext();
        Assert.NotNull((await db.IssuedCertificates.SingleAsync(c => c.Id == id)).RevokedAt);
        Assert.True(await db.AuditEvents.AnyAsync(a => a.Action == EnrollmentAuditActions.CertificateRevoked && a.Actor == "admin@example.com"));
        Assert.Equal(0, (await Certificates.GetPageAsync(new CertificateQuery(null, false, null, false, 0, 25), CancellationToken.None)).Total);
        Assert.Equal(1, (await Certificates.GetPageAsync(new CertificateQuery(null, true, null, false, 0, 25), CancellationToken.None)).Total);
    }

    [Fact]
    public async Task Revoke_IsRefused_WithoutAReasonOrTwice()
    {
        var id = (await Certificates.GetPageAsync(new CertificateQuery(null, false, null, false, 0, 25), CancellationToken.None)).Items.Single().Id;

        Assert.NotNull(await Certificates.RevokeAsync(id, "  ", "admin", null, CancellationToken.None));
        Assert.Null(await Certificates.RevokeAsync(id, "compromised", "admin", null, CancellationToken.None));
        Assert.NotNull(await Certificates.RevokeAsync(id, "again", "admin", null, CancellationToken.None));
        Assert.NotNull(await Certificates.RevokeAsync(Guid.NewGuid(), "unknown", "admin", null, CancellationToken.None));
    }
}
