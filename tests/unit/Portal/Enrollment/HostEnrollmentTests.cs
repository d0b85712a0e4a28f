using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Enrollment;
using PatchPortal.Portal.Pki;

namespace PatchPortal.Tests.Unit.Portal.Enrollment;

/// <summary>Enrolment against the real services over a SQLite file, with a real CA in the temp data directory.</summary>
public sealed class HostEnrollmentTests : IAsyncLifetime
{
    private PortalTestHost _portal = null!;
    private Guid _hostId;

    private HostEnrollment Enrollment => _portal.Services.GetRequiredService<HostEnrollment>();

    private PortalCertificateAuthority Ca => _portal.Services.GetRequiredService<PortalCertificateAuthority>();

    public async Task InitializeAsync()
    {
        _portal = await PortalTestHost.StartAsync(addFeatures: b => b.AddAgentConnectivity());
        await using var db = _portal.CreateDbContext();
        var host = new ManagedHost { Name = "web-01", Address = "192.0.2.10", AgentPort = 12443, CreatedAt = DateTimeOffset.UtcNow };
        db.Hosts.Add(host);
        await db.SaveChangesAsync();
        _hostId = host.Id;
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task IssueToken_StoresOnlyTheHash_AndGivesTheExactCommand()
    {
        var ticket = await Enrollment.IssueTokenAsync(_hostId, "alice@example.com", "198.51.100.7", CancellationToken.None);

        await using var db = _portal.CreateDbContext();
        var stored = await db.EnrollmentTokens.SingleAsync(t => t.HostId == _hostId);
        Assert.NotEqual(ticket.Token, stored.TokenHash);
        Assert.Equal(HostEnrollment.Hash(ticket.Token), stored.TokenHash);
        Assert.Contains($"--token {ticket.Token}", ticket.Command, StringComparison.Ordinal);
        Assert.Contains($"--ca-fingerprint sha256:{Ca.CaFingerprint}", ticket.Command, StringComparison.Ordinal);
        Assert.Contains("--hostname web-01", ticket.Command, StringComparison.Ordinal);
        var audit = await db.AuditEvents.SingleAsync(a => a.Action == EnrollmentAuditActions.TokenIssued);
        Assert.DoesNotContain(ticket.Token, audit.AfterJson ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Complete_IssuesACertificateBoundToTheHost_WhenTokenIsFresh()
    {
        var ticket = await Enrollment.IssueTokenAsync(_hostId, "alice@example.com", null, CancellationToken.None);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var outcome = await Enrollment.CompleteAsync(Request(ticket.Token, key, "evil-name"), "192.0.2.10", CancellationToken.None);

        Assert.Null(outcome.Refusal);
        using var certificate = X509Certificate2.CreateFromPem(outcome.Response!.CertificatePem);
        Assert.Equal("CN=web-01", certificate.Subject);
        Assert.True(Ca.Issued(certificate));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificate.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo());
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains(IPAddress.Parse("192.0.2.10"), san.EnumerateIPAddresses());
        Assert.Equal(Ca.ClientIdentity, outcome.Response.PortalClientIdentity);

        await using var db = _portal.CreateDbContext();
        var host = await db.Hosts.SingleAsync(h => h.Id == _hostId);
        Assert.Equal(PortalCertificateAuthority.Fingerprint(certificate), host.AgentCertificateFingerprint);
        Assert.Equal(1, await db.IssuedCertificates.CountAsync(c => c.HostId == _hostId && c.RevokedAt == null));
        Assert.True(await db.AuditEvents.AnyAsync(a => a.Action == EnrollmentAuditActions.Completed && a.Target == "web-01"));
    }

    [Fact]
    public async Task Complete_IsRefusedAndAudited_WhenTokenIsReused()
    {
        var ticket = await Enrollment.IssueTokenAsync(_hostId, "alice@example.com", null, CancellationToken.None);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Null((await Enrollment.CompleteAsync(Request(ticket.Token, key), null, CancellationToken.None)).Refusal);

        var second = await Enrollment.CompleteAsync(Request(ticket.Token, key), "203.0.113.66", CancellationToken.None);

        Assert.Equal(EnrollmentRefusal.TokenUsedOrExpired, second.Refusal);
        await using var db = _portal.CreateDbContext();
        var refusal = await db.AuditEvents.SingleAsync(a => a.Action == EnrollmentAuditActions.Refused);
        Assert.False(refusal.Succeeded);
        Assert.Equal("203.0.113.66", refusal.SourceAddress);
    }

    [Fact]
    public async Task Complete_IsRefused_WhenTokenExpired()
    {
        var ticket = await Enrollment.IssueTokenAsync(_hostId, "alice@example.com", null, CancellationToken.None);
        await using (var db = _portal.CreateDbContext())
        {
            await db.EnrollmentTokens.ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(EnrollmentRefusal.TokenUsedOrExpired, (await Enrollment.CompleteAsync(Request(ticket.Token, key), null, CancellationToken.None)).Refusal);
    }

    [Fact]
    public async Task Complete_IsRefused_WhenTokenIsUnknown()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(EnrollmentRefusal.UnknownToken, (await Enrollment.CompleteAsync(Request("made-up", key), null, CancellationToken.None)).Refusal);
    }

    [Fact]
    public async Task Complete_KeepsTheTokenUnused_WhenTheKeyIsTooWeak()
    {
        var ticket = await Enrollment.IssueTokenAsync(_hostId, "alice@example.com", null, CancellationToken.None);
        using var weak = RSA.Create(1024);
        var csr = new CertificateRequest("CN=web-01", weak, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();

        var refused = await Enrollment.CompleteAsync(new EnrollmentRequest { Token = ticket.Token, CsrPem = csr }, null, CancellationToken.None);
        using var strong = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var accepted = await Enrollment.CompleteAsync(Request(ticket.Token, strong), null, CancellationToken.None);

        Assert.Equal(EnrollmentRefusal.BadCertificateRequest, refused.Refusal);
        Assert.Null(accepted.Refusal);
    }

    [Fact]
    public async Task Complete_RevokesThePreviousCertificate_WhenTheHostReEnrols()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var first = await Enrollment.CompleteAsync(Request((await Enrollment.IssueTokenAsync(_hostId, "a", null, CancellationToken.None)).Token, key), null, CancellationToken.None);
        var second = await Enrollment.CompleteAsync(Request((await Enrollment.IssueTokenAsync(_hostId, "a", null, CancellationToken.None)).Token, key), null, CancellationToken.None);

        using var old = X509Certificate2.CreateFromPem(first.Response!.CertificatePem);
        await using var db = _portal.CreateDbContext();
        var revoked = await db.IssuedCertificates.SingleAsync(c => c.Fingerprint == PortalCertificateAuthority.Fingerprint(old));
        Assert.NotNull(revoked.RevokedAt);
        Assert.Null(second.Refusal);
    }

    [Fact]
    public async Task Complete_SendsACrlListingThePreviousCertificate_WhenTheHostReEnrols()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var first = await Enrollment.CompleteAsync(Request((await Enrollment.IssueTokenAsync(_hostId, "a", null, CancellationToken.None)).Token, key), null, CancellationToken.None);
        var second = await Enrollment.CompleteAsync(Request((await Enrollment.IssueTokenAsync(_hostId, "a", null, CancellationToken.None)).Token, key), null, CancellationToken.None);

        using var old = X509Certificate2.CreateFromPem(first.Response!.CertificatePem);
        using var current = X509Certificate2.CreateFromPem(second.Response!.CertificatePem);
        var crl = PatchPortal.Agent.Security.CertificateRevocationList.Load(System.Text.Encoding.ASCII.GetBytes(second.Response.CrlPem!), [Ca.Ca]);
        Assert.True(crl.IsRevoked(old));
        Assert.False(crl.IsRevoked(current));
        Assert.EndsWith("/pki/crl.pem", second.Response.CrlUrl, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_PublishesANewerCrlFile_WhenAnAdminRevokesACertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var enrolled = await Enrollment.CompleteAsync(Request((await Enrollment.IssueTokenAsync(_hostId, "a", null, CancellationToken.None)).Token, key), null, CancellationToken.None);
        using var certificate = X509Certificate2.CreateFromPem(enrolled.Response!.CertificatePem);
        var publisher = _portal.Services.GetRequiredService<CrlPublisher>();
        var before = PatchPortal.Agent.Security.CertificateRevocationList.Load(System.Text.Encoding.ASCII.GetBytes(await publisher.GetPemAsync(CancellationToken.None)), [Ca.Ca]);
        await using (var db = _portal.CreateDbContext())
        {
            var id = await db.IssuedCertificates.Where(c => c.Fingerprint == PortalCertificateAuthority.Fingerprint(certificate)).Select(c => c.Id).SingleAsync();
            var refusal = await _portal.Services.GetRequiredService<PatchPortal.Portal.Settings.Certificates.CertificateAdministration>()
                .RevokeAsync(id, "key leaked", "admin@example.com", null, CancellationToken.None);
            Assert.Null(refusal);
        }

        var after = PatchPortal.Agent.Security.CertificateRevocationList.Load(System.Text.Encoding.ASCII.GetBytes(await publisher.GetPemAsync(CancellationToken.None)), [Ca.Ca]);
        var file = PatchPortal.Agent.Security.CertificateRevocationList.Load(await File.ReadAllBytesAsync(publisher.FilePath), [Ca.Ca]);
        Assert.False(before.IsRevoked(certificate));
        Assert.True(after.IsRevoked(certificate));
        Assert.True(after.Number > before.Number);
        Assert.True(file.IsRevoked(certificate));
    }

    [Fact]
    public async Task IssueToken_RetiresTheHostsOlderUnusedToken()
    {
        var older = await Enrollment.IssueTokenAsync(_hostId, "a", null, CancellationToken.None);
        await Enrollment.IssueTokenAsync(_hostId, "a", null, CancellationToken.None);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(EnrollmentRefusal.TokenUsedOrExpired, (await Enrollment.CompleteAsync(Request(older.Token, key), null, CancellationToken.None)).Refusal);
    }

    [Fact]
    public async Task Validator_AcceptsOnlyTheCertificateIssuedToThatHost()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var outcome = await Enrollment.CompleteAsync(Request((await Enrollment.IssueTokenAsync(_hostId, "a", null, CancellationToken.None)).Token, key), null, CancellationToken.None);
        using var issued = X509Certificate2.CreateFromPem(outcome.Response!.CertificatePem);
        var fingerprint = PortalCertificateAuthority.Fingerprint(issued);
        var validator = _portal.Services.GetRequiredService<AgentCertificateValidator>();

        Assert.True(validator.Validate(fingerprint, issued));
        Assert.False(validator.Validate(new string('0', 64), issued));
        Assert.False(validator.Validate(fingerprint, null));

        _portal.Services.GetRequiredService<RevokedCertificates>().Add(fingerprint);
        Assert.False(validator.Validate(fingerprint, issued));
    }

    [Fact]
    public void Validator_Refuses_WhenCertificateIsFromAnotherCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var selfSigned = new CertificateRequest("CN=web-01", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var validator = _portal.Services.GetRequiredService<AgentCertificateValidator>();

        Assert.False(validator.Validate(PortalCertificateAuthority.Fingerprint(selfSigned), selfSigned));
    }

    [Fact]
    public void Ca_KeepsItsKeyPrivate_AndSurvivesARestart()
    {
        var directory = _portal.Services.GetRequiredService<PkiDirectory>().Path;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory, "ca.key")));

        using var again = new PortalCertificateAuthority(
            Microsoft.Extensions.Options.Options.Create(new PkiOptions()), new PkiDirectory(directory), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<PortalCertificateAuthority>.Instance);

        Assert.Equal(Ca.CaFingerprint, again.CaFingerprint);
        Assert.True(again.Issued(again.ClientCertificate));
        Assert.Equal("patchportal-portal", again.ClientCertificate.GetNameInfo(X509NameType.SimpleName, false));
    }

    private static EnrollmentRequest Request(string token, ECDsa key, string hostname = "web-01")
    {
        var csr = new CertificateRequest("CN=" + hostname, key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        return new EnrollmentRequest { Token = token, CsrPem = csr, Hostname = hostname, AgentPort = 12443 };
    }
}
