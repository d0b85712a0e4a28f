using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Agent.Security;

namespace PatchPortal.Tests.Unit.Agent.Security;

public sealed class ClientCertificatePolicyTests : IDisposable
{
    private readonly X509Certificate2 _ca;
    private readonly X509Certificate2 _otherCa;
    private readonly DateTimeOffset _now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    public ClientCertificatePolicyTests()
    {
        _ca = CreateCa("Test CA");
        _otherCa = CreateCa("Other CA");
    }

    public void Dispose()
    {
        _ca.Dispose();
        _otherCa.Dispose();
    }

    [Fact]
    public void Evaluate_Allows_WhenCommonNameIsListed()
    {
        using var client = Issue(_ca, "portal", "1.3.6.1.5.5.7.3.2");
        var verdict = Policy("portal").Evaluate(client);
        Assert.True(verdict.Allowed, verdict.Reason);
        Assert.Equal("portal", verdict.Identity);
    }

    [Fact]
    public void Evaluate_Allows_WhenFingerprintIsListedWithColons()
    {
        using var client = Issue(_ca, "script", "1.3.6.1.5.5.7.3.2");
        var hex = ClientCertificatePolicy.Fingerprint(client).ToUpperInvariant();
        var withColons = "SHA256:" + string.Join(':', Enumerable.Range(0, 32).Select(i => hex.Substring(i * 2, 2)));
        Assert.True(Policy(withColons).Evaluate(client).Allowed);
    }

    [Fact]
    public void Evaluate_Refuses_WhenNameIsNotListed()
    {
        using var client = Issue(_ca, "intruder", "1.3.6.1.5.5.7.3.2");
        var verdict = Policy("portal").Evaluate(client);
        Assert.False(verdict.Allowed);
        Assert.Equal("AUTH_INVALID_CERT", verdict.ErrorCode);
    }

    [Fact]
    public void Evaluate_Refuses_WhenIssuedByAnotherCa()
    {
        using var client = Issue(_otherCa, "portal", "1.3.6.1.5.5.7.3.2");
        var verdict = Policy("portal").Evaluate(client);
        Assert.False(verdict.Allowed);
        Assert.Contains("does not chain", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_RefusesWithExpiredCode_WhenCertificateExpired()
    {
        using var client = Issue(_ca, "portal", "1.3.6.1.5.5.7.3.2", _now.AddDays(-10), _now.AddDays(-1));
        Assert.Equal("AUTH_CERT_EXPIRED", Policy("portal").Evaluate(client).ErrorCode);
    }

    [Fact]
    public void Evaluate_Refuses_WhenCertificateIsOnlyForServers()
    {
        using var client = Issue(_ca, "portal", "1.3.6.1.5.5.7.3.1");
        Assert.False(Policy("portal").Evaluate(client).Allowed);
    }

    [Fact]
    public void Evaluate_Refuses_WhenNoCertificate() => Assert.False(Policy("portal").Evaluate(null).Allowed);

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("sha256:zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("md5:00")]
    public void TryParseFingerprint_ReturnsFalse_WhenMalformed(string text) => Assert.False(ClientCertificatePolicy.TryParseFingerprint(text, out _));

    private ClientCertificatePolicy Policy(params string[] allowed) =>
        new([_ca], allowed, new FakeTimeProvider(_now));

    private X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(_now.AddYears(-1), _now.AddYears(1));
    }

    private X509Certificate2 Issue(X509Certificate2 ca, string name, string usage, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        return request.Create(ca, notBefore ?? _now.AddDays(-1), notAfter ?? _now.AddDays(30), RandomNumberGenerator.GetBytes(8));
    }
}
