using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Pki;

namespace PatchPortal.Portal.Enrollment;

public static class EnrollmentAuditActions
{
    public const string TokenIssued = "enrolment.token-issued";
    public const string Completed = "enrolment.completed";
    public const string Refused = "enrolment.refused";
    public const string CertificateRevoked = "certificate.revoke";
}

/// <summary>Why an enrolment was refused; the endpoint maps each to a status.</summary>
public enum EnrollmentRefusal
{
    InvalidRequest,
    UnknownToken,
    TokenUsedOrExpired,
    BadCertificateRequest,
}

public sealed record EnrollmentOutcome(EnrollmentResponse? Response, EnrollmentRefusal? Refusal, string? Message);

/// <summary>
/// The portal half of enrolment: one-time tokens (only their SHA-256 is stored), and turning a token plus the
/// agent's CSR into a server certificate bound to the host record.
/// </summary>
public sealed class HostEnrollment(
    IDbContextFactory<PortalDbContext> factory,
    PortalCertificateAuthority ca,
    AuditLog audit,
    IOptions<EnrollmentOptions> options,
    EnrollmentUrl portalUrl,
    TimeProvider time,
    CrlPublisher crl) : IHostEnrollment
{
    public const int MaxCsrLength = 16 * 1024;

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public async Task<EnrollmentTicket> IssueTokenAsync(Guid hostId, string actor, string? sourceAddress, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var host = await db.Hosts.SingleOrDefaultAsync(h => h.Id == hostId, cancellationToken)
            ?? throw new InvalidOperationException($"host {hostId} does not exist");
        var now = time.GetUtcNow();

        // Only the newest token works: an older one that leaked is retired by issuing a new one (all or nothing, with
        // the audit entry).
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.EnrollmentTokens.Where(t => t.HostId == hostId && t.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, now), cancellationToken);

        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var expires = now.AddMinutes(options.Value.TokenLifetimeMinutes);
        db.EnrollmentTokens.Add(new EnrollmentToken { HostId = hostId, TokenHash = Hash(token), CreatedAt = now, ExpiresAt = expires, CreatedBy = actor });
        await audit.SaveWithAsync(db, new AuditEntry(EnrollmentAuditActions.TokenIssued, actor, host.Name)
        {
            SourceAddress = sourceAddress,
            After = new { host = host.Name, expires_at = expires },
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var arguments = $"--portal {portalUrl.Value} --token {token} --ca-fingerprint sha256:{ca.CaFingerprint} --hostname {host.Name} --port {host.AgentPort}";
        var command = $"sudo patch-agent enroll {arguments}";
        var install = $"curl -fsSL {portalUrl.Value.TrimEnd('/')}/downloads/install.sh | sudo sh -s -- {arguments}";
        return new EnrollmentTicket(token, expires, command, install);
    }

    public async Task<EnrollmentOutcome> CompleteAsync(EnrollmentRequest request, string? sourceAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Token) || request.Token.Length > 256)
        {
            return Refuse(EnrollmentRefusal.InvalidRequest, "token is required");
        }

        if (string.IsNullOrWhiteSpace(request.CsrPem) || request.CsrPem.Length > MaxCsrLength)
        {
            return Refuse(EnrollmentRefusal.InvalidRequest, $"csr_pem is required and at most {MaxCsrLength} characters");
        }

        if (request.AgentPort is < 1 or > 65535)
        {
            return Refuse(EnrollmentRefusal.InvalidRequest, "agent_port must be from 1 to 65535");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var hash = Hash(request.Token);
        var token = await db.EnrollmentTokens.SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (token is null)
        {
            await AuditRefusalAsync(null, "unknown token", sourceAddress, cancellationToken);
            return Refuse(EnrollmentRefusal.UnknownToken, "the enrolment token is not valid");
        }

        var host = await db.Hosts.SingleAsync(h => h.Id == token.HostId, cancellationToken);
        var now = time.GetUtcNow();
        if (!token.IsUsable(now))
        {
            await AuditRefusalAsync(host.Name, token.UsedAt is null ? "token expired" : "token already used", sourceAddress, cancellationToken);
            return Refuse(EnrollmentRefusal.TokenUsedOrExpired, "the enrolment token was already used or has expired; issue a new one in the portal");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = ca.SignAgentRequest(request.CsrPem, host.Name, host.Address);
        }
        catch (CertificateRequestException ex)
        {
            // The token stays unused: a broken CSR should not burn it.
            await AuditRefusalAsync(host.Name, ex.Message, sourceAddress, cancellationToken);
            return Refuse(EnrollmentRefusal.BadCertificateRequest, ex.Message);
        }

        // Consumed in one conditional UPDATE, so two requests racing with the same token cannot both win; in the same
        // transaction as the certificate and its audit entry, so a failed save leaves the token usable.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var consumed = await db.EnrollmentTokens
            .Where(t => t.Id == token.Id && t.UsedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), cancellationToken);
        if (consumed == 0)
        {
            await transaction.RollbackAsync(cancellationToken); // before the refusal is audited on another connection
            certificate.Dispose();
            await AuditRefusalAsync(host.Name, "token already used (concurrent enrolment)", sourceAddress, cancellationToken);
            return Refuse(EnrollmentRefusal.TokenUsedOrExpired, "the enrolment token was already used or has expired; issue a new one in the portal");
        }

        using (certificate)
        {
            var fingerprint = PortalCertificateAuthority.Fingerprint(certificate);
            var before = new { fingerprint = host.AgentCertificateFingerprint, port = host.AgentPort };

            // A re-enrolled host's previous certificates stop working at once.
            await db.IssuedCertificates.Where(c => c.HostId == host.Id && c.Kind == CertificateKind.AgentServer && c.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.RevokedAt, now).SetProperty(c => c.RevocationReason, "superseded by re-enrolment"), cancellationToken);
            db.IssuedCertificates.Add(new IssuedCertificate
            {
                Kind = CertificateKind.AgentServer,
                HostId = host.Id,
                SerialNumber = certificate.SerialNumber,
                Subject = certificate.Subject,
                Fingerprint = fingerprint,
                NotBefore = certificate.NotBefore.ToUniversalTime(),
                NotAfter = certificate.NotAfter.ToUniversalTime(),
            });
            host.AgentCertificateFingerprint = fingerprint;
            host.AgentPort = request.AgentPort ?? host.AgentPort;
            await audit.SaveWithAsync(db, new AuditEntry(EnrollmentAuditActions.Completed, "agent:" + host.Name, host.Name)
            {
                SourceAddress = sourceAddress,
                Before = before,
                After = new { fingerprint, port = host.AgentPort, not_after = certificate.NotAfter.ToUniversalTime() },
            }, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            crl.Invalidate();

            return new EnrollmentOutcome(new EnrollmentResponse
            {
                CertificatePem = certificate.ExportCertificatePem(),
                CaPem = ca.CaPem,
                PortalClientIdentity = ca.ClientIdentity,
                CrlPem = await crl.GetPemAsync(cancellationToken),
                CrlUrl = portalUrl.Value + CrlEndpoints.Path,
            }, null, null);
        }
    }

    private Task<long> AuditRefusalAsync(string? host, string reason, string? sourceAddress, CancellationToken cancellationToken) =>
        audit.RecordAsync(new AuditEntry(EnrollmentAuditActions.Refused, "anonymous", host)
        {
            Succeeded = false,
            SourceAddress = sourceAddress,
            After = new { reason },
        }, cancellationToken);

    private static EnrollmentOutcome Refuse(EnrollmentRefusal refusal, string message) => new(null, refusal, message);
}

/// <summary>The portal URL written into enrolment commands.</summary>
public sealed record EnrollmentUrl(string Value);
