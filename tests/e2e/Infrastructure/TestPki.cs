using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatchPortal.Tests.E2E.Infrastructure;

/// <summary>
/// A throw-away PKI made by the tests: a CA, an agent server certificate for the loopback addresses, and client
/// certificates of every kind the agent must accept or refuse. Written as PEM files into a private temp directory.
/// </summary>
public sealed class TestPki : IDisposable
{
    public const string PortalClientName = "patchportal-portal";

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private long _crlNumber;

    public TestPki()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("patchportal-pki-").FullName;
        Ca = CreateCa("PatchPortal Test CA");
        OtherCa = CreateCa("Somebody Else's CA");
        var now = DateTimeOffset.UtcNow;
        PortalClient = Issue(Ca, PortalClientName, ClientAuth, now.AddDays(-1), now.AddDays(30));
        ScriptClient = Issue(Ca, "backup-script", ClientAuth, now.AddDays(-1), now.AddDays(30));
        UnlistedClient = Issue(Ca, "intruder", ClientAuth, now.AddDays(-1), now.AddDays(30));
        ExpiredClient = Issue(Ca, PortalClientName, ClientAuth, now.AddDays(-30), now.AddDays(-1));
        NotYetValidClient = Issue(Ca, PortalClientName, ClientAuth, now.AddDays(1), now.AddDays(30));
        ForeignClient = Issue(OtherCa, PortalClientName, ClientAuth, now.AddDays(-1), now.AddDays(30));
        RevokedClient = Issue(Ca, PortalClientName, ClientAuth, now.AddDays(-1), now.AddDays(30));
        Server = Issue(Ca, "agent.test", ServerAuth, now.AddDays(-1), now.AddDays(30), san: true);

        CaPath = WritePem("ca.pem", Ca.ExportCertificatePem());
        ServerCertificatePath = WritePem("server.pem", Server.ExportCertificatePem());
        ServerKeyPath = WritePem("server.key", ExportKey(Server), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        CrlPath = WriteCrl("crl.pem", RevokedClient);
    }

    public string Directory { get; }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 OtherCa { get; }

    public X509Certificate2 Server { get; }

    /// <summary>The identity the agents under test allow (by CN).</summary>
    public X509Certificate2 PortalClient { get; }

    /// <summary>Allowed by fingerprint, not by name.</summary>
    public X509Certificate2 ScriptClient { get; }

    public X509Certificate2 UnlistedClient { get; }

    public X509Certificate2 ExpiredClient { get; }

    public X509Certificate2 NotYetValidClient { get; }

    public X509Certificate2 ForeignClient { get; }

    /// <summary>Named like the portal (so on the allow-list), but on the CA's revocation list at <see cref="CrlPath"/>.</summary>
    public X509Certificate2 RevokedClient { get; }

    /// <summary>The CA's CRL (PEM) revoking <see cref="RevokedClient"/>, which every test agent is configured with.</summary>
    public string CrlPath { get; }

    public string CaPath { get; }

    public string ServerCertificatePath { get; }

    public string ServerKeyPath { get; }

    public static string Fingerprint(X509Certificate2 certificate) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    /// <summary>Whether <paramref name="certificate"/> chains to this PKI's CA (the test clients' view of the agent).</summary>
    public bool IsIssuedByCa(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public string WritePem(string name, string pem, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, pem);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    /// <summary>Writes a CRL signed by <paramref name="issuer"/> (the test CA by default) revoking <paramref name="revoked"/>; each call numbers its list higher.</summary>
    public string WriteCrl(string name, X509Certificate2[] revoked, X509Certificate2? issuer = null)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate, DateTimeOffset.UtcNow.AddMinutes(-1));
        }

        var number = Interlocked.Increment(ref _crlNumber);
        var der = builder.Build(issuer ?? Ca, number, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256, thisUpdate: DateTimeOffset.UtcNow.AddSeconds(number));
        return WritePem(name, PemEncoding.WriteString("X509 CRL", der));
    }

    public string WriteCrl(string name, X509Certificate2 revoked) => WriteCrl(name, [revoked]);

    public void Dispose()
    {
        foreach (var certificate in new[] { Ca, OtherCa, Server, PortalClient, ScriptClient, UnlistedClient, ExpiredClient, NotYetValidClient, ForeignClient, RevokedClient })
        {
            certificate.Dispose();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public static string ExportKey(X509Certificate2 certificate) =>
        (certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("no ECDSA key")).ExportPkcs8PrivateKeyPem();

    private static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-90), DateTimeOffset.UtcNow.AddYears(1));
        return Reload(ca);
    }

    private static X509Certificate2 Issue(X509Certificate2 issuer, string commonName, Oid usage, DateTimeOffset notBefore, DateTimeOffset notAfter, bool san = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        if (san)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddDnsName(commonName);
            for (var last = 1; last <= 20; last++)
            {
                names.AddIpAddress(IPAddress.Parse($"127.0.0.{last}"));
            }

            names.AddIpAddress(IPAddress.IPv6Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(issuer, notBefore, notAfter, serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        return Reload(withKey);
    }

    /// <summary>A PKCS#12 round trip gives a certificate whose key SslStream can use on Linux.</summary>
    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
}
