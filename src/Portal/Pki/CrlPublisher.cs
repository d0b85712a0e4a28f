using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data;

namespace PatchPortal.Portal.Pki;

/// <summary>
/// The CA's certificate revocation list: every certificate revoked in the portal, signed by the CA. Rebuilt when a
/// certificate is revoked and daily (it is valid for a week), written to <c>{DataDir}/pki/crl.pem</c> for
/// configuration management, served at <c>GET /pki/crl.pem</c> (agents with <c>Agent:Tls:CrlUrl</c> fetch it) and
/// sent with every enrolment. The CRL number is the count of revoked certificates times 10^10 plus the Unix seconds
/// of issue: a list with a new revocation is always newer, even if the portal's clock went back.
/// </summary>
public sealed partial class CrlPublisher : IDisposable
{
    public static readonly TimeSpan Validity = TimeSpan.FromDays(7);
    public static readonly TimeSpan RebuildAfter = TimeSpan.FromDays(1);

    private readonly IDbContextFactory<PortalDbContext> _factory;
    private readonly PortalCertificateAuthority _ca;
    private readonly PkiDirectory _directory;
    private readonly TimeProvider _time;
    private readonly ILogger<CrlPublisher> _logger;
    private readonly RevokedCertificates _revoked;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Published? _current;

    public CrlPublisher(IDbContextFactory<PortalDbContext> factory, PortalCertificateAuthority ca, PkiDirectory directory, RevokedCertificates revoked, TimeProvider time, ILogger<CrlPublisher> logger)
    {
        _factory = factory;
        _ca = ca;
        _directory = directory;
        _time = time;
        _logger = logger;
        _revoked = revoked ?? throw new ArgumentNullException(nameof(revoked));
        _revoked.Revoked += OnRevoked;
    }

    public string FilePath => Path.Combine(_directory.Path, "crl.pem");

    /// <summary>The current CRL as PEM, rebuilt first when a revocation made it stale or it is a day old.</summary>
    public async Task<string> GetPemAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current && _time.GetUtcNow() - current.ThisUpdate < RebuildAfter)
        {
            return current.Pem;
        }

        return (await RebuildAsync(cancellationToken)).Pem;
    }

    /// <summary>Builds the CRL from the database now, writes the file and keeps it for readers.</summary>
    public async Task<(string Pem, BigInteger Number)> RebuildAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await _factory.CreateDbContextAsync(cancellationToken);
            var revoked = await db.IssuedCertificates.Where(c => c.RevokedAt != null)
                .Select(c => new { c.SerialNumber, c.RevokedAt }).ToListAsync(cancellationToken);
            var now = _time.GetUtcNow();
            var builder = new CertificateRevocationListBuilder();
            foreach (var entry in revoked)
            {
                builder.AddEntry(Convert.FromHexString(entry.SerialNumber), entry.RevokedAt!.Value, X509RevocationReason.Unspecified);
            }

            var number = (new BigInteger(revoked.Count) * 10_000_000_000) + now.ToUnixTimeSeconds();
            var der = builder.Build(_ca.Ca, number, now.Add(Validity), HashAlgorithmName.SHA384, thisUpdate: now);
            var pem = PemEncoding.WriteString("X509 CRL", der) + "\n";
            WriteFile(FilePath, pem);
            _current = new Published(pem, now);
            LogPublished(_logger, revoked.Count, number, FilePath);
            return (pem, number);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Marks the CRL stale so the next reader rebuilds it (a re-enrolment revoked certificates in SQL).</summary>
    public void Invalidate() => _current = null;

    public void Dispose()
    {
        _revoked.Revoked -= OnRevoked;
        _gate.Dispose();
    }

    private void OnRevoked(string fingerprint) => Invalidate();

    private static void WriteFile(string path, string content)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(temp, path, overwrite: true);
    }

    private sealed record Published(string Pem, DateTimeOffset ThisUpdate);

    [LoggerMessage(Level = LogLevel.Information, Message = "Published the CRL: {Count} revoked certificates, number {Number}, at {Path}")]
    private static partial void LogPublished(ILogger logger, int count, BigInteger number, string path);
}
