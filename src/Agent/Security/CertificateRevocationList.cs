using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatchPortal.Agent.Security;

/// <summary>A CRL that cannot be used: unreadable, not signed by the configured CA, or older than the one in use.</summary>
public sealed class CrlException(string message) : Exception(message);

/// <summary>
/// An X.509 v2 certificate revocation list (RFC 5280 §5), parsed and verified against the client CA. .NET builds
/// CRLs but offers no reader that does not go through OpenSSL's URL-keyed cache, so the few fields the agent needs
/// (issuer signature, this/next update, CRL number, revoked serials) are read here with the ASN.1 reader.
/// </summary>
public sealed class CertificateRevocationList
{
    private static readonly Dictionary<string, (HashAlgorithmName Hash, bool Ecdsa)> SignatureAlgorithms = new(StringComparer.Ordinal)
    {
        ["1.2.840.10045.4.3.2"] = (HashAlgorithmName.SHA256, true),
        ["1.2.840.10045.4.3.3"] = (HashAlgorithmName.SHA384, true),
        ["1.2.840.10045.4.3.4"] = (HashAlgorithmName.SHA512, true),
        ["1.2.840.113549.1.1.11"] = (HashAlgorithmName.SHA256, false),
        ["1.2.840.113549.1.1.12"] = (HashAlgorithmName.SHA384, false),
        ["1.2.840.113549.1.1.13"] = (HashAlgorithmName.SHA512, false),
    };

    private const string CrlNumberOid = "2.5.29.20";

    private readonly HashSet<string> _revokedSerials;

    private CertificateRevocationList(X500DistinguishedName issuer, DateTimeOffset thisUpdate, DateTimeOffset? nextUpdate, BigInteger number, HashSet<string> revokedSerials)
    {
        Issuer = issuer;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        Number = number;
        _revokedSerials = revokedSerials;
    }

    public X500DistinguishedName Issuer { get; }

    public DateTimeOffset ThisUpdate { get; }

    public DateTimeOffset? NextUpdate { get; }

    /// <summary>The CRL number extension (0 when absent): a newer CRL from the same CA has a larger one.</summary>
    public BigInteger Number { get; }

    public int Count => _revokedSerials.Count;

    /// <summary>Whether the certificate's serial number is on this list (the caller has checked the issuer).</summary>
    public bool IsRevoked(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return _revokedSerials.Contains(NormalizeSerial(certificate.SerialNumberBytes.Span));
    }

    /// <summary>Reads a PEM (<c>-----BEGIN X509 CRL-----</c>) or DER CRL and checks it is signed by one of <paramref name="issuers"/>.</summary>
    /// <exception cref="CrlException">The bytes are no CRL, or no issuer's key verifies its signature.</exception>
    public static CertificateRevocationList Load(ReadOnlySpan<byte> bytes, X509Certificate2Collection issuers)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        var der = ToDer(bytes);
        try
        {
            return Parse(der, issuers);
        }
        catch (AsnContentException ex)
        {
            throw new CrlException("not a DER or PEM X.509 CRL: " + ex.Message);
        }
    }

    private static byte[] ToDer(ReadOnlySpan<byte> bytes)
    {
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        var fields = PemEncoding.TryFind(text, out var found) ? found : default(PemFields?);
        if (fields is { } pem)
        {
            if (text[pem.Label] != "X509 CRL")
            {
                throw new CrlException($"PEM block '{text[pem.Label]}' is not an X509 CRL");
            }

            return Convert.FromBase64String(text[pem.Base64Data]);
        }

        return bytes.ToArray();
    }

    private static CertificateRevocationList Parse(byte[] der, X509Certificate2Collection issuers)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        var list = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        var tbsBytes = list.PeekEncodedValue().ToArray();
        var tbs = list.ReadSequence();
        var algorithm = list.ReadSequence();
        var signatureOid = algorithm.ReadObjectIdentifier();
        var signature = list.ReadBitString(out _);
        list.ThrowIfNotEmpty();

        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
        {
            if (tbs.ReadInteger() != 1)
            {
                throw new CrlException("only version 2 CRLs are supported");
            }
        }

        var innerAlgorithm = tbs.ReadSequence().ReadObjectIdentifier();
        if (innerAlgorithm != signatureOid)
        {
            throw new CrlException("the CRL's two signature algorithms differ");
        }

        var issuer = new X500DistinguishedName(tbs.ReadEncodedValue().Span);
        var thisUpdate = ReadTime(tbs);
        DateTimeOffset? nextUpdate = null;
        if (tbs.HasData && (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) || tbs.PeekTag().HasSameClassAndValue(Asn1Tag.GeneralizedTime)))
        {
            nextUpdate = ReadTime(tbs);
        }

        var serials = new HashSet<string>(StringComparer.Ordinal);
        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var entries = tbs.ReadSequence();
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                serials.Add(NormalizeSerial(entry.ReadIntegerBytes().Span));
                _ = ReadTime(entry);
            }
        }

        var number = BigInteger.Zero;
        var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(extensionsTag))
        {
            var extensions = tbs.ReadSequence(extensionsTag).ReadSequence();
            while (extensions.HasData)
            {
                var extension = extensions.ReadSequence();
                var oid = extension.ReadObjectIdentifier();
                if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                {
                    extension.ReadBoolean();
                }

                var value = extension.ReadOctetString();
                if (oid == CrlNumberOid)
                {
                    number = new AsnReader(value, AsnEncodingRules.DER).ReadInteger();
                }
            }
        }

        tbs.ThrowIfNotEmpty();
        VerifySignature(tbsBytes, signatureOid, signature, issuer, issuers);
        return new CertificateRevocationList(issuer, thisUpdate, nextUpdate, number, serials);
    }

    private static void VerifySignature(byte[] tbs, string oid, byte[] signature, X500DistinguishedName issuer, X509Certificate2Collection issuers)
    {
        if (!SignatureAlgorithms.TryGetValue(oid, out var algorithm))
        {
            throw new CrlException($"unsupported CRL signature algorithm {oid}");
        }

        foreach (var candidate in issuers)
        {
            if (!candidate.SubjectName.RawData.AsSpan().SequenceEqual(issuer.RawData))
            {
                continue;
            }

            bool valid;
            if (algorithm.Ecdsa)
            {
                using var key = candidate.GetECDsaPublicKey();
                valid = key is not null && key.VerifyData(tbs, signature, algorithm.Hash, DSASignatureFormat.Rfc3279DerSequence);
            }
            else
            {
                using var key = candidate.GetRSAPublicKey();
                valid = key is not null && key.VerifyData(tbs, signature, algorithm.Hash, RSASignaturePadding.Pkcs1);
            }

            if (valid)
            {
                return;
            }
        }

        throw new CrlException($"the CRL of '{issuer.Name}' is not signed by the configured client CA");
    }

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();

    /// <summary>Serial numbers compared as unsigned big-endian hex without leading zero bytes.</summary>
    private static string NormalizeSerial(ReadOnlySpan<byte> bigEndian)
    {
        var start = 0;
        while (start < bigEndian.Length - 1 && bigEndian[start] == 0)
        {
            start++;
        }

        return Convert.ToHexString(bigEndian[start..]);
    }
}
