using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Security;

namespace PatchPortal.Tests.Unit.Agent.Security;

public sealed class EnrollCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("enroll-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Parse_ReadsEveryOption()
    {
        var pin = "sha256:" + new string('a', 64);
        var parsed = EnrollCommand.Parse(["--portal", "https://portal.example:8443/", "--token", "tok", "--ca-fingerprint", pin, "--hostname", "web-01", "--port", "13443", "--config", "/tmp/a.json"], out var error);

        Assert.Null(error);
        Assert.NotNull(parsed);
        Assert.Equal(new string('a', 64), parsed.CaFingerprint);
        Assert.Equal(13443, parsed.Port);
        Assert.Equal(["--config", "/tmp/a.json"], parsed.ConfigArgs);
    }

    [Theory]
    [InlineData("--portal", "http://portal.example/", "--token", "t")]
    [InlineData("--portal", "https://portal.example/", "--token", "")]
    [InlineData("--portal", "https://portal.example/", "--token", "t", "--ca-fingerprint", "sha256:12")]
    [InlineData("--portal", "https://portal.example/", "--token", "t", "--port", "70000")]
    [InlineData("--portal", "https://portal.example/", "--token", "t", "--hostname", "bad host")]
    [InlineData("--portal", "https://portal.example/", "--token", "t", "--rm", "-rf")]
    [InlineData("--portal")]
    public void Parse_ReturnsError_WhenArgumentsAreWrong(params string[] args)
    {
        Assert.Null(EnrollCommand.Parse(args, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Parse_AllowsPlainHttp_OnlyOnLoopback() =>
        Assert.NotNull(EnrollCommand.Parse(["--portal", "http://127.0.0.1:5000/", "--token", "t"], out _));

    [Fact]
    public void CreateSigningRequest_NamesTheHostAndCarriesOurKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CertificateRequest.LoadSigningRequestPem(EnrollCommand.CreateSigningRequest(key, "web-01"), HashAlgorithmName.SHA256);

        Assert.Equal("CN=web-01", request.SubjectName.Name);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), request.PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void VerifyResponse_Accepts_WhenCertificateIsForOurKeyAndChainsToThePinnedCa()
    {
        using var ca = CreateCa();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var response = Sign(ca, key);

        using var certificate = EnrollCommand.VerifyResponse(response, key, ClientCertificatePolicy.Fingerprint(ca));
        Assert.Equal("CN=web-01", certificate.Subject);
    }

    [Fact]
    public void VerifyResponse_Throws_WhenCaDoesNotMatchThePin()
    {
        using var ca = CreateCa();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Throws<EnrollmentException>(() => EnrollCommand.VerifyResponse(Sign(ca, key), key, new string('0', 64)));
    }

    [Fact]
    public void VerifyResponse_Throws_WhenCertificateIsForAnotherKey()
    {
        using var ca = CreateCa();
        using var ours = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var theirs = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Throws<EnrollmentException>(() => EnrollCommand.VerifyResponse(Sign(ca, theirs), ours, null));
    }

    [Fact]
    public void AllowClient_AddsIdentityOnce_AndKeepsOtherSettings()
    {
        var path = Path.Combine(_dir, "agent.json");
        File.WriteAllText(path, """{"Agent":{"Backend":"apt","AllowedClients":["backup-script"]},"Logging":{"LogLevel":{"Default":"Warning"}}}""");

        EnrollCommand.AllowClient(path, "patchportal-portal");
        EnrollCommand.AllowClient(path, "patchportal-portal");

        var root = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal("apt", root["Agent"]!["Backend"]!.GetValue<string>());
        Assert.Equal(["backup-script", "patchportal-portal"], root["Agent"]!["AllowedClients"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("Warning", root["Logging"]!["LogLevel"]!["Default"]!.GetValue<string>());
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(path) & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite));
    }

    [Fact]
    public void StoreRevocationList_WritesTheCrlBesideTheCaAndConfiguresItsUrl()
    {
        using var ca = CreateCa();
        var config = Path.Combine(_dir, "agent.json");
        var options = new AgentOptions { Tls = new TlsOptions { ClientCa = Path.Combine(_dir, "certs", "ca.pem") } };
        var crl = PemEncoding.WriteString("X509 CRL", new CertificateRevocationListBuilder().Build(ca, 1, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256));
        var response = new EnrollmentResponse { CertificatePem = "", CaPem = ca.ExportCertificatePem(), PortalClientIdentity = "p", CrlPem = crl, CrlUrl = "https://portal.example/pki/crl.pem" };

        var written = EnrollCommand.StoreRevocationList(config, options, response);

        Assert.Equal(Path.Combine(_dir, "certs", "crl.pem"), written);
        Assert.Equal(crl, File.ReadAllText(written!));
        var tls = JsonNode.Parse(File.ReadAllText(config))!["Agent"]!["Tls"]!;
        Assert.Equal(written, tls["Crl"]!.GetValue<string>());
        Assert.Equal("https://portal.example/pki/crl.pem", tls["CrlUrl"]!.GetValue<string>());
    }

    [Fact]
    public void StoreRevocationList_Throws_WhenTheCrlIsNotSignedByTheSentCa()
    {
        using var ca = CreateCa();
        using var other = CreateCa();
        var crl = PemEncoding.WriteString("X509 CRL", new CertificateRevocationListBuilder().Build(other, 1, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256));
        var response = new EnrollmentResponse { CertificatePem = "", CaPem = ca.ExportCertificatePem(), PortalClientIdentity = "p", CrlPem = crl };

        Assert.Throws<EnrollmentException>(() => EnrollCommand.StoreRevocationList(Path.Combine(_dir, "agent.json"), new AgentOptions(), response));
    }

    private static X509Certificate2 CreateCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Portal CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static EnrollmentResponse Sign(X509Certificate2 ca, ECDsa key)
    {
        var csr = CertificateRequest.LoadSigningRequestPem(EnrollCommand.CreateSigningRequest(key, "web-01"), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        using var issued = csr.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(90), RandomNumberGenerator.GetBytes(8));
        return new EnrollmentResponse { CertificatePem = issued.ExportCertificatePem(), CaPem = ca.ExportCertificatePem(), PortalClientIdentity = "patchportal-portal" };
    }
}
