using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Portal.Dashboard;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Inventory;
using PatchPortal.Tests.Unit.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Dashboard;

public sealed class FleetSummaryTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private readonly InventoryDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private FleetSummary Summary() =>
        new(_database, Options.Create(new InventoryOptions { StaleAfterHours = 24 }), new FakeTimeProvider(Now));

    [Fact]
    public async Task GetAsync_CountsEachCategory_WhenFleetIsMixed()
    {
        await _database.AddHostAsync("healthy-fresh", configure: h => Set(h, HostHealth.Healthy, refreshed: Now.AddHours(-1)));
        await _database.AddHostAsync("healthy-security", configure: h =>
        {
            Set(h, HostHealth.Healthy, refreshed: Now.AddHours(-23));
            h.PendingSecurityCount = 3;
            h.RebootRequired = true;
        });
        await _database.AddHostAsync("degraded-stale", configure: h => Set(h, HostHealth.Degraded, refreshed: Now.AddHours(-25)));
        await _database.AddHostAsync("unreachable-never", configure: h =>
        {
            Set(h, HostHealth.Unreachable, refreshed: null);
            h.PendingOtherCount = 7;
        });
        await _database.AddHostAsync("waiting", enrolled: false, configure: h => Set(h, HostHealth.PendingEnrolment, refreshed: null));

        var counts = await Summary().GetAsync(CancellationToken.None);

        // Stale counts enrolled hosts only: a host waiting for enrolment has no inventory to be stale.
        Assert.Equal(new FleetCounts(Hosts: 5, Healthy: 2, Degraded: 1, Unreachable: 1, PendingEnrolment: 1,
            WithSecurityUpdates: 1, RebootRequired: 1, StaleInventory: 2, CertificatesExpiring: 0), counts);
    }

    [Fact]
    public async Task GetAsync_CountsHostsWhoseNewestValidAgentCertificateExpiresWithin30Days()
    {
        var expiring = await _database.AddHostAsync("expiring");
        var expired = await _database.AddHostAsync("expired");
        var renewed = await _database.AddHostAsync("renewed");
        var revoked = await _database.AddHostAsync("revoked");
        var later = await _database.AddHostAsync("later");
        await using (var db = _database.CreateDbContext())
        {
            db.IssuedCertificates.AddRange(
                Certificate(expiring.Id, Now.AddDays(29)),
                Certificate(expired.Id, Now.AddDays(-1)),
                Certificate(renewed.Id, Now.AddDays(5)),
                Certificate(renewed.Id, Now.AddDays(365)),
                Certificate(revoked.Id, Now.AddDays(3), revokedAt: Now.AddDays(-2)),
                Certificate(later.Id, Now.AddDays(31)),
                Certificate(later.Id, Now.AddDays(2), kind: CertificateKind.PortalClient));
            await db.SaveChangesAsync();
        }

        var counts = await Summary().GetAsync(CancellationToken.None);

        Assert.Equal(2, counts.CertificatesExpiring);
    }

    [Fact]
    public async Task GetAsync_ComputesEveryFigureAsCountInSql_WithoutLoadingHosts()
    {
        await _database.AddHostAsync("web-1");
        _database.ClearSql();

        await Summary().GetAsync(CancellationToken.None);

        var queries = _database.Sql.Where(s => s.Contains("SELECT", StringComparison.Ordinal)).ToList();
        Assert.Equal(9, queries.Count);
        Assert.All(queries, q => Assert.Contains("SELECT COUNT(*)", q, StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("\"h\".\"InventoryRefreshedAt\" < @", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("FROM \"IssuedCertificates\"", StringComparison.Ordinal)
            && q.Contains("\"NotAfter\" < @", StringComparison.Ordinal));
    }

    private static void Set(ManagedHost host, HostHealth health, DateTimeOffset? refreshed)
    {
        host.Health = health;
        host.InventoryRefreshedAt = refreshed;
    }

    private static IssuedCertificate Certificate(Guid hostId, DateTimeOffset notAfter, DateTimeOffset? revokedAt = null,
        CertificateKind kind = CertificateKind.AgentServer) => new()
        {
            Kind = kind,
            HostId = hostId,
            SerialNumber = Guid.NewGuid().ToString("N"),
            Subject = "CN=host",
            Fingerprint = "sha256:" + Guid.NewGuid().ToString("N"),
            NotBefore = notAfter.AddDays(-90),
            NotAfter = notAfter,
            RevokedAt = revokedAt,
        };
}
