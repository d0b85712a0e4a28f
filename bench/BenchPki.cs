using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatchPortal.Bench;

/// <summary>
/// The bench's own CA with one server certificate (for the agent and nginx alike, so both do the same TLS work) and
/// one client certificate (the load generator's identity, which both require). Files are written in a private
/// directory; the same CA is imported into the portal for the fleet bench so it trusts the simulated agents.
/// </summary>
public sealed class BenchPki : IDisposable
{
    public const string ClientName = "patchportal-bench";

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public BenchPki(string directory)
    {
        Directory = directory;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var caRequest = new CertificateRequest("CN=PatchPortal bench CA", caKey, HashAlgorithmName.SHA384);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        Write(CaPath, Ca.ExportCertificatePem());
        Write(CaKeyPath, caKey.ExportPkcs8PrivateKeyPem());

        // Agents are enrolled with P-256 keys (EnrollCommand); the bench's server key is the same kind.
        Server = Issue("bench-agent", ServerAuth, [IPAddress.Parse("127.0.0.70"), IPAddress.Parse("127.0.0.71")], ServerPath, ServerKeyPath);
        Client = Issue(ClientName, ClientAuth, [], ClientPath, ClientKeyPath);
    }

    public string Directory { get; }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Client { get; }

    public string CaPath => Path.Combine(Directory, "ca.pem");

    public string CaKeyPath => Path.Combine(Directory, "ca.key");

    public string ServerPath => Path.Combine(Directory, "server.pem");

    public string ServerKeyPath => Path.Combine(Directory, "server.key");

    public string ClientPath => Path.Combine(Directory, "client.pem");

    public string ClientKeyPath => Path.Combine(Directory, "client.key");

    /// <summary>Issues one more server certificate (for a simulated agent process of the fleet bench).</summary>
    public (string Certificate, string Key, string Fingerprint) IssueServer(string name)
    {
        var cert = Path.Combine(Directory, name + ".pem");
        var key = Path.Combine(Directory, name + ".key");
        using var issued = Issue(name, ServerAuth, [], cert, key);
        return (cert, key, Convert.ToHexStringLower(SHA256.HashData(issued.RawData)));
    }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
        Client.Dispose();
    }

    private X509Certificate2 Issue(string name, Oid usage, IReadOnlyList<IPAddress> addresses, string certPath, string keyPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        foreach (var address in addresses)
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(Ca, now.AddMinutes(-5), now.AddDays(30), RandomNumberGenerator.GetBytes(16));
        Write(certPath, issued.ExportCertificatePem());
        Write(keyPath, key.ExportPkcs8PrivateKeyPem());
        return X509Certificate2.CreateFromPemFile(certPath, keyPath);
    }

    private static void Write(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows() && path.EndsWith(".key", StringComparison.Ordinal))
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
