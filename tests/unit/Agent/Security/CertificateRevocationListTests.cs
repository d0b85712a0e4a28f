using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Agent.Security;

namespace PatchPortal.Tests.Unit.Agent.Security;

public sealed class CertificateRevocationListTests : IDisposable
{
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private readonly X509Certificate2 _ca;
    private readonly X509Certificate2 _otherCa;
    private readonly X509Certificate2 _revoked;
    private readonly X509Certificate2 _good;
    private readonly string _directory = Directory.CreateTempSubdirectory("patchportal-crl-").FullName;

    public CertificateRevocationListTests()
    {
        _ca = CreateCa("CRL Test CA", ECCurve.NamedCurves.nistP384);
        _otherCa = CreateCa("CRL Other CA", ECCurve.NamedCurves.nistP256);
        _revoked = Issue(_ca, "portal", [0x00, 0x81, 0x02, 0x03]);
        _good = Issue(_ca, "portal", [0x11, 0x22, 0x33]);
    }

    public void Dispose()
    {
        foreach (var certificate in new[] { _ca, _otherCa, _revoked, _good })
        {
            certificate.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Load_ListsRevokedSerials_WhenPemIsSignedByTheCa()
    {
        var crl = CertificateRevocationList.Load(Pem(Build(_ca, 7, _revoked)), [_ca]);

        Assert.True(crl.IsRevoked(_revoked));
        Assert.False(crl.IsRevoked(_good));
        Assert.Equal(new BigInteger(7), crl.Number);
        Assert.Equal(1, crl.Count);
    }

    [Fact]
    public void Load_ReadsDer_WhenGivenRawBytes()
    {
        var crl = CertificateRevocationList.Load(Build(_ca, 1, _revoked), [_ca]);
        Assert.True(crl.IsRevoked(_revoked));
    }

    [Fact]
    public void Load_Throws_WhenSignedByAnotherCa()
    {
        var ex = Assert.Throws<CrlException>(() => CertificateRevocationList.Load(Build(_otherCa, 1, _revoked), [_ca]));
        Assert.Contains("not signed by the configured client CA", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Throws_WhenAnEntryWasRemovedAfterSigning()
    {
        var signed = Build(_ca, 1, _revoked);
        var index = signed.AsSpan().IndexOf(_revoked.SerialNumberBytes.Span[1..]);
        signed[index] ^= 0x01; // another serial: the signature no longer matches

        Assert.Throws<CrlException>(() => CertificateRevocationList.Load(signed, [_ca]));
    }

    [Fact]
    public void Load_Throws_WhenBytesAreNoCrl() =>
        Assert.Throws<CrlException>(() => CertificateRevocationList.Load("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"u8, [_ca]));

    [Fact]
    public void Evaluate_Refuses_WhenCertificateIsOnTheCrl()
    {
        var path = Write("crl.pem", Pem(Build(_ca, 1, _revoked)));
        var policy = new ClientCertificatePolicy([_ca], ["portal"], new FakeTimeProvider(_now), new ClientRevocation(path, [_ca]));

        var verdict = policy.Evaluate(_revoked);

        Assert.False(verdict.Allowed);
        Assert.Equal("AUTH_INVALID_CERT", verdict.ErrorCode);
        Assert.Contains("revoked", verdict.Reason, StringComparison.Ordinal);
        Assert.True(policy.Evaluate(_good).Allowed);
    }

    [Fact]
    public void IsRevoked_SeesANewList_WhenTheFileChanges()
    {
        var path = Write("crl.pem", Pem(Build(_ca, 1)));
        var revocation = new ClientRevocation(path, [_ca]);
        Assert.False(revocation.IsRevoked(_revoked));

        Write("crl.pem", Pem(Build(_ca, 2, _revoked)));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));

        Assert.True(revocation.IsRevoked(_revoked));
    }

    [Fact]
    public void IsRevoked_KeepsThePreviousList_WhenTheChangedFileIsForged()
    {
        var path = Write("crl.pem", Pem(Build(_ca, 1, _revoked)));
        var revocation = new ClientRevocation(path, [_ca]);
        revocation.UseLogger(NullLogger.Instance);

        Write("crl.pem", Pem(Build(_otherCa, 2)));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));

        Assert.True(revocation.IsRevoked(_revoked));
    }

    [Fact]
    public void Replace_Throws_WhenTheFetchedListIsOlder()
    {
        var path = Write("crl.pem", Pem(Build(_ca, 5, _revoked)));
        var revocation = new ClientRevocation(path, [_ca]);

        Assert.Throws<CrlException>(() => revocation.Replace(Pem(Build(_ca, 4))));
        Assert.True(revocation.IsRevoked(_revoked));
    }

    [Fact]
    public void Replace_WritesTheFile_WhenTheFetchedListIsNewer()
    {
        var path = Write("crl.pem", Pem(Build(_ca, 5)));
        var revocation = new ClientRevocation(path, [_ca]);

        Assert.True(revocation.Replace(Pem(Build(_ca, 6, _revoked))));

        Assert.True(revocation.IsRevoked(_revoked));
        Assert.True(new ClientRevocation(path, [_ca]).IsRevoked(_revoked));
    }

    [Fact]
    public void Constructor_ThrowsNamingTheKey_WhenTheFileIsMissing()
    {
        var ex = Assert.Throws<AgentConfigurationException>(() => new ClientRevocation(Path.Combine(_directory, "none.pem"), [_ca]));
        Assert.Equal("Agent:Tls:Crl", ex.Key);
    }

    private byte[] Build(X509Certificate2 issuer, int number, params X509Certificate2[] revoked)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate, _now.AddMinutes(-1));
        }

        return builder.Build(issuer, number, _now.AddDays(7), HashAlgorithmName.SHA256, thisUpdate: _now.AddSeconds(number));
    }

    private static byte[] Pem(byte[] der) => System.Text.Encoding.ASCII.GetBytes(PemEncoding.WriteString("X509 CRL", der));

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private X509Certificate2 CreateCa(string name, ECCurve curve)
    {
        using var key = ECDsa.Create(curve);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(_now.AddYears(-1), _now.AddYears(1));
    }

    private X509Certificate2 Issue(X509Certificate2 ca, string name, byte[] serial)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        return request.Create(ca, _now.AddDays(-1), _now.AddDays(30), serial);
    }
}
