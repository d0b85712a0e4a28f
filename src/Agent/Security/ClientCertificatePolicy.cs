using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PatchPortal.Agent.Contracts;

namespace PatchPortal.Agent.Security;

/// <summary>Why a client certificate was accepted or refused.</summary>
public sealed record ClientCertificateVerdict(bool Allowed, string? ErrorCode, string Reason, string? Identity)
{
    public static ClientCertificateVerdict Accept(string identity) => new(true, null, "allowed", identity);

    public static ClientCertificateVerdict Refuse(string code, string reason, string? identity) => new(false, code, reason, identity);
}

/// <summary>
/// Decides whether a client certificate may call the agent: it must chain to the configured CA alone (never the
/// system store), be inside its validity period, be meant for client authentication, and name an allowed identity
/// (subject CN or <c>sha256:</c> fingerprint), and not be on the CA's revocation list when one is configured.
/// </summary>
public sealed class ClientCertificatePolicy
{
    private readonly X509Certificate2Collection _trustAnchors;
    private readonly HashSet<string> _allowedNames;
    private readonly HashSet<string> _allowedFingerprints;
    private readonly TimeProvider _time;
    private readonly ClientRevocation? _revocation;

    public ClientCertificatePolicy(X509Certificate2Collection trustAnchors, IEnumerable<string> allowedClients, TimeProvider time, ClientRevocation? revocation = null)
    {
        ArgumentNullException.ThrowIfNull(allowedClients);
        _trustAnchors = trustAnchors;
        _time = time;
        _revocation = revocation;
        _allowedNames = new(StringComparer.Ordinal);
        _allowedFingerprints = new(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in allowedClients)
        {
            if (TryParseFingerprint(entry, out var fingerprint))
            {
                _allowedFingerprints.Add(fingerprint);
            }
            else
            {
                _allowedNames.Add(entry);
            }
        }
    }

    /// <summary>Parses <c>sha256:AB:CD…</c> or <c>sha256:abcd…</c> into 64 lowercase hex digits.</summary>
    public static bool TryParseFingerprint(string? entry, out string fingerprint)
    {
        fingerprint = string.Empty;
        if (entry is null || !entry.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var hex = entry["sha256:".Length..].Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        fingerprint = hex;
        return true;
    }

    public static string Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    public static string? CommonName(X509Certificate2 certificate) =>
        certificate?.GetNameInfo(X509NameType.SimpleName, forIssuer: false) is { Length: > 0 } cn ? cn : null;

    public ClientCertificateVerdict Evaluate(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return ClientCertificateVerdict.Refuse(ErrorCodes.AuthInvalidCert, "no client certificate", null);
        }

        var name = CommonName(certificate);
        var fingerprint = Fingerprint(certificate);
        var identity = name ?? "sha256:" + fingerprint;
        var now = _time.GetUtcNow();
        if (now < certificate.NotBefore.ToUniversalTime())
        {
            return ClientCertificateVerdict.Refuse(ErrorCodes.AuthInvalidCert, $"certificate not valid before {certificate.NotBefore.ToUniversalTime():O}", identity);
        }

        if (now > certificate.NotAfter.ToUniversalTime())
        {
            return ClientCertificateVerdict.Refuse(ErrorCodes.AuthCertExpired, $"certificate expired at {certificate.NotAfter.ToUniversalTime():O}", identity);
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trustAnchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2")); // clientAuth
        if (!chain.Build(certificate))
        {
            var problems = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            return ClientCertificateVerdict.Refuse(ErrorCodes.AuthInvalidCert, $"certificate does not chain to the configured CA ({problems})", identity);
        }

        if (_revocation?.IsRevoked(certificate) == true)
        {
            return ClientCertificateVerdict.Refuse(ErrorCodes.AuthInvalidCert, $"certificate serial {certificate.SerialNumber} is revoked by the CRL ({_revocation.Path})", identity);
        }

        var allowed = (name is not null && _allowedNames.Contains(name)) || _allowedFingerprints.Contains(fingerprint);
        return allowed
            ? ClientCertificateVerdict.Accept(identity)
            : ClientCertificateVerdict.Refuse(ErrorCodes.AuthInvalidCert, $"client '{identity}' (sha256:{fingerprint}) is not in Agent:AllowedClients", identity);
    }
}
