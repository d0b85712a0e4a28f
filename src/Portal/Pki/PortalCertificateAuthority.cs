using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace PatchPortal.Portal.Pki;

/// <summary>Why a CSR was refused.</summary>
public sealed class CertificateRequestException(string message) : Exception(message);

/// <summary>
/// The portal's private CA: created on first start (or imported), kept as PEM files in the data directory with the
/// key readable by the portal alone. It issues the portal's client certificate and each agent's server certificate
/// from the agent's CSR, so no private key ever leaves the machine that made it.
/// </summary>
public sealed partial class PortalCertificateAuthority : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PublicFile = PrivateFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly PkiOptions _options;
    private readonly TimeProvider _time;
    private readonly string _directory;
    private readonly Lock _clientGate = new();
    private X509Certificate2 _client;

    public PortalCertificateAuthority(IOptions<PkiOptions> options, PkiDirectory directory, TimeProvider time, ILogger<PortalCertificateAuthority> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(directory);
        _options = options.Value;
        _time = time;
        _directory = directory.Path;
        Directory.CreateDirectory(_directory);
        File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Ca = LoadOrCreateCa(logger);
        CaFingerprint = Fingerprint(Ca);
        _client = LoadOrIssueClient(logger);
    }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>SHA-256 of the CA certificate, lowercase hex (what <c>--ca-fingerprint sha256:…</c> pins).</summary>
    public string CaFingerprint { get; }

    public string CaPem => Ca.ExportCertificatePem();

    /// <summary>The identity agents must allow (<c>Agent:AllowedClients</c>).</summary>
    public string ClientIdentity => _options.ClientName;

    /// <summary>The portal's current client certificate (renewed in place when it nears expiry).</summary>
    public X509Certificate2 ClientCertificate
    {
        get
        {
            lock (_clientGate)
            {
                if (_client.NotAfter.ToUniversalTime() - _time.GetUtcNow().UtcDateTime < TimeSpan.FromDays(_options.RenewBeforeDays))
                {
                    _client = IssueClient();
                }

                return _client;
            }
        }
    }

    public static string Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    /// <summary>Whether <paramref name="certificate"/> was issued by this CA and is within its validity period.</summary>
    public bool Issued(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        return chain.Build(certificate);
    }

    /// <summary>Signs an agent's CSR as a server certificate for <paramref name="hostName"/> and its address.</summary>
    /// <exception cref="CertificateRequestException">The CSR is malformed, badly signed or uses a weak key.</exception>
    public X509Certificate2 SignAgentRequest(string csrPem, string hostName, string address)
    {
        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateRequestException("csr_pem is not a valid, correctly signed PKCS#10 request: " + ex.Message);
        }

        RequireStrongKey(request.PublicKey);

        // The portal decides the identity: the subject and names come from the host record, not from the CSR.
        var issued = new CertificateRequest(new X500DistinguishedName("CN=" + hostName), request.PublicKey, HashAlgorithmName.SHA256);
        issued.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        issued.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        issued.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth], false));
        issued.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        issued.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostName);
        if (IPAddress.TryParse(address, out var ip))
        {
            names.AddIpAddress(ip);
        }
        else if (!string.Equals(address, hostName, StringComparison.OrdinalIgnoreCase))
        {
            names.AddDnsName(address);
        }

        issued.CertificateExtensions.Add(names.Build());
        var now = _time.GetUtcNow();
        return issued.Create(Ca, now.AddMinutes(-5), Clamp(now.AddDays(_options.AgentCertificateDays)), NewSerial());
    }

    public void Dispose()
    {
        Ca.Dispose();
        _client.Dispose();
    }

    private X509Certificate2 LoadOrCreateCa(ILogger logger)
    {
        if (_options.CaCertificate is { } importedCert)
        {
            var importedKey = _options.CaKey ?? throw new InvalidOperationException("Portal:Pki:CaKey must be set when Portal:Pki:CaCertificate is.");
            RequirePrivate(importedKey, "Portal:Pki:CaKey");
            var imported = X509Certificate2.CreateFromPemFile(importedCert, importedKey);
            var importedFingerprint = Fingerprint(imported);
            LogCaImported(logger, importedCert, importedFingerprint);
            return Reload(imported);
        }

        var certPath = Path.Combine(_directory, "ca.pem");
        var keyPath = Path.Combine(_directory, "ca.key");
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            RequirePrivate(keyPath, "the CA key");
            return Reload(X509Certificate2.CreateFromPemFile(certPath, keyPath));
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest($"CN=PatchPortal CA {Environment.MachineName}, O=PatchPortal", key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = _time.GetUtcNow();
        var ca = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        WriteFile(keyPath, key.ExportPkcs8PrivateKeyPem(), PrivateFile);
        WriteFile(certPath, ca.ExportCertificatePem(), PublicFile);
        var fingerprint = Fingerprint(ca);
        LogCaCreated(logger, certPath, fingerprint);
        return Reload(ca);
    }

    private X509Certificate2 LoadOrIssueClient(ILogger logger)
    {
        var certPath = Path.Combine(_directory, "portal-client.pem");
        var keyPath = Path.Combine(_directory, "portal-client.key");
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            var existing = Reload(X509Certificate2.CreateFromPemFile(certPath, keyPath));
            if (Issued(existing) && existing.GetNameInfo(X509NameType.SimpleName, false) == _options.ClientName)
            {
                return existing;
            }

            existing.Dispose();
        }

        var client = IssueClient();
        var notAfter = client.NotAfter.ToUniversalTime();
        LogClientIssued(logger, _options.ClientName, notAfter);
        return client;
    }

    private X509Certificate2 IssueClient()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + _options.ClientName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClientAuth], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        var now = _time.GetUtcNow();
        using var issued = request.Create(Ca, now.AddMinutes(-5), Clamp(now.AddDays(_options.ClientCertificateDays)), NewSerial());
        WriteFile(Path.Combine(_directory, "portal-client.key"), key.ExportPkcs8PrivateKeyPem(), PrivateFile);
        WriteFile(Path.Combine(_directory, "portal-client.pem"), issued.ExportCertificatePem(), PublicFile);
        return Reload(issued.CopyWithPrivateKey(key));
    }

    /// <summary>A certificate may not outlive its CA.</summary>
    private DateTimeOffset Clamp(DateTimeOffset notAfter) =>
        notAfter < Ca.NotAfter.ToUniversalTime() ? notAfter : new DateTimeOffset(Ca.NotAfter.ToUniversalTime()).AddMinutes(-1);

    private static void RequireStrongKey(PublicKey key)
    {
        using var ec = key.GetECDsaPublicKey();
        if (ec is not null)
        {
            if (ec.KeySize < 256)
            {
                throw new CertificateRequestException($"an EC key of {ec.KeySize} bits is too weak; use P-256 or stronger");
            }

            return;
        }

        using var rsa = key.GetRSAPublicKey();
        if (rsa is null || rsa.KeySize < 2048)
        {
            throw new CertificateRequestException("the key must be EC P-256 or stronger, or RSA of 2048 bits or more");
        }
    }

    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }

    private static void RequirePrivate(string path, string what)
    {
        if ((File.GetUnixFileMode(path) & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.GroupWrite)) != 0)
        {
            throw new InvalidOperationException($"{what} ({path}) is readable or writable by others; run: chmod 600 {path}");
        }
    }

    private static void WriteFile(string path, string content, UnixFileMode mode)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.SetUnixFileMode(temp, mode);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>A PKCS#12 round trip gives a certificate whose key SslStream can use on Linux.</summary>
    private static X509Certificate2 Reload(X509Certificate2 certificate)
    {
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Created the portal CA {Path} (sha256:{Fingerprint}); back up the data directory's pki folder")]
    private static partial void LogCaCreated(ILogger logger, string path, string fingerprint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Using the imported CA {Path} (sha256:{Fingerprint})")]
    private static partial void LogCaImported(ILogger logger, string path, string fingerprint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Issued the portal client certificate {Name}, valid until {NotAfter:u}")]
    private static partial void LogClientIssued(ILogger logger, string name, DateTime notAfter);
}

/// <summary>Where the PKI files live: <c>{Portal:DataDir}/pki</c>.</summary>
public sealed record PkiDirectory(string Path);
