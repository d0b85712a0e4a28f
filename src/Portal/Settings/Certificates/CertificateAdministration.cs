using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Enrollment;
using PatchPortal.Portal.Hosts;

namespace PatchPortal.Portal.Settings.Certificates;

/// <summary>One row of the certificates list.</summary>
public sealed record CertificateRow(Guid Id, CertificateKind Kind, string Subject, string Fingerprint, string SerialNumber, Guid? HostId, string? HostName,
    DateTimeOffset NotBefore, DateTimeOffset NotAfter, DateTimeOffset? RevokedAt, string? RevocationReason)
{
    public bool IsActive(DateTimeOffset now) => RevokedAt is null && now < NotAfter;
}

public sealed record CertificateQuery(string? Search, bool IncludeRevoked, string? SortBy, bool Descending, int Page, int PageSize);

/// <summary>Lists the certificates the portal's CA issued, revokes them, and renews an agent's by re-enrolment.</summary>
public sealed class CertificateAdministration(
    IDbContextFactory<PortalDbContext> factory,
    RevokedCertificates revoked,
    IHostEnrollment enrollment,
    AuditLog audit,
    HostEventHub hosts,
    TimeProvider time)
{
    public const int MaxReasonLength = 200;

    public async Task<(IReadOnlyList<CertificateRow> Items, int Total)> GetPageAsync(CertificateQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = from c in db.IssuedCertificates
                   join h in db.Hosts on c.HostId equals h.Id into joined
                   from h in joined.DefaultIfEmpty()
                   select new { Certificate = c, HostName = h == null ? null : h.Name };
        if (!query.IncludeRevoked)
        {
            rows = rows.Where(r => r.Certificate.RevokedAt == null);
        }

        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var term = query.Search.Trim();
            var fingerprint = term.ToLowerInvariant();
            rows = rows.Where(r => r.Certificate.Subject.Contains(term) || r.Certificate.Fingerprint.StartsWith(fingerprint) || (r.HostName != null && r.HostName.Contains(term)));
        }

        rows = (query.SortBy, query.Descending) switch
        {
            (nameof(CertificateRow.Subject), false) => rows.OrderBy(r => r.Certificate.Subject),
            (nameof(CertificateRow.Subject), true) => rows.OrderByDescending(r => r.Certificate.Subject),
            (nameof(CertificateRow.HostName), false) => rows.OrderBy(r => r.HostName),
            (nameof(CertificateRow.HostName), true) => rows.OrderByDescending(r => r.HostName),
            (nameof(CertificateRow.NotBefore), false) => rows.OrderBy(r => r.Certificate.NotBefore),
            (nameof(CertificateRow.NotBefore), true) => rows.OrderByDescending(r => r.Certificate.NotBefore),
            (_, true) => rows.OrderByDescending(r => r.Certificate.NotAfter),
            _ => rows.OrderBy(r => r.Certificate.NotAfter),
        };

        var total = await rows.CountAsync(cancellationToken);
        var page = await rows.Skip(query.Page * query.PageSize).Take(query.PageSize)
            .Select(r => new CertificateRow(r.Certificate.Id, r.Certificate.Kind, r.Certificate.Subject, r.Certificate.Fingerprint, r.Certificate.SerialNumber,
                r.Certificate.HostId, r.HostName, r.Certificate.NotBefore, r.Certificate.NotAfter, r.Certificate.RevokedAt, r.Certificate.RevocationReason))
            .ToListAsync(cancellationToken);
        return (page, total);
    }

    /// <summary>Revokes a certificate: the agent client refuses it from now on (open connections included).</summary>
    public async Task<string?> RevokeAsync(Guid certificateId, string reason, string actor, string? sourceAddress, CancellationToken cancellationToken)
    {
        reason = reason?.Trim() ?? string.Empty;
        if (reason.Length is 0 or > MaxReasonLength)
        {
            return $"Give a reason of 1 to {MaxReasonLength} characters.";
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var certificate = await db.IssuedCertificates.SingleOrDefaultAsync(c => c.Id == certificateId, cancellationToken);
        if (certificate is null)
        {
            return "That certificate does not exist.";
        }

        if (certificate.RevokedAt is not null)
        {
            return "That certificate is already revoked.";
        }

        certificate.RevokedAt = time.GetUtcNow();
        certificate.RevocationReason = reason;
        await audit.SaveWithAsync(db, new AuditEntry(EnrollmentAuditActions.CertificateRevoked, actor, certificate.Subject)
        {
            SourceAddress = sourceAddress,
            Before = new { fingerprint = certificate.Fingerprint, revoked = false },
            After = new { fingerprint = certificate.Fingerprint, revoked = true, reason },
        }, cancellationToken);
        revoked.Add(certificate.Fingerprint);
        if (certificate.HostId is { } hostId)
        {
            hosts.Publish(new HostChanged(hostId, "certificate revoked"));
        }

        return null;
    }

    /// <summary>Renewal is re-enrolment: a new token, a new key made on the host; the old certificate is revoked when it completes.</summary>
    public Task<EnrollmentTicket> RenewAsync(Guid hostId, string actor, string? sourceAddress, CancellationToken cancellationToken) =>
        enrollment.IssueTokenAsync(hostId, actor, sourceAddress, cancellationToken);
}
