using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Dashboard;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Inventory;
using PatchPortal.Tests.Unit.Portal.Inventory;
using PatchPortal.Tests.Unit.Portal.Shell;

namespace PatchPortal.Tests.Unit.Portal.Dashboard;

public sealed class DashboardPageTests : PortalComponentTestContext
{
    private readonly InventoryDatabase _database = new();
    private readonly HostEventHub _events = new();

    public DashboardPageTests()
    {
        Services.AddSingleton(_events);
        Services.AddSingleton(new FleetSummary(_database, Options.Create(new InventoryOptions()), TimeProvider.System));
        SignInAs(PortalRoles.Viewer);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _database.Dispose();
        }
    }

    [Theory]
    [InlineData("Unreachable", "/hosts?health=Unreachable")]
    [InlineData("Degraded", "/hosts?health=Degraded")]
    [InlineData("Pending enrolment", "/hosts?health=PendingEnrolment")]
    [InlineData("Pending security updates", "/hosts?security=true")]
    [InlineData("Reboot required", "/hosts?reboot=true")]
    [InlineData("Stale inventory", "/hosts?stale=true")]
    [InlineData("Certificates expiring", "/hosts?certExpiring=true")]
    public async Task DashboardPage_CardLinksToFilteredHostListWithItsCount(string label, string href)
    {
        await _database.AddHostAsync("web-1", configure: h =>
        {
            h.Health = HostHealth.Unreachable;
            h.PendingSecurityCount = 2;
            h.RebootRequired = true;
        });
        await _database.AddHostAsync("web-2", configure: h =>
        {
            h.Health = HostHealth.Degraded;
            h.InventoryRefreshedAt = DateTimeOffset.UtcNow;
        });
        await _database.AddHostAsync("new-1", enrolled: false, configure: h => h.Health = HostHealth.PendingEnrolment);
        var expected = label switch
        {
            "Certificates expiring" => 0,
            _ => 1,
        };

        var cut = Render<DashboardPage>();

        cut.WaitForAssertion(() =>
        {
            var link = cut.Find($"a[aria-label^='{label}:']");
            Assert.Equal(href, link.GetAttribute("href"));
            Assert.Equal($"{label}: {expected}", link.GetAttribute("aria-label"));
            Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), link.QuerySelector("p")!.TextContent);
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task DashboardPage_RequeriesCounts_WhenHostChangeIsPublished()
    {
        var host = await _database.AddHostAsync("web-1", configure: h => h.Health = HostHealth.Healthy);
        var cut = Render<DashboardPage>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("a[aria-label='Unreachable: 0']")), TimeSpan.FromSeconds(10));

        await using (var db = _database.CreateDbContext())
        {
            var tracked = await db.Hosts.FindAsync(host.Id);
            tracked!.Health = HostHealth.Unreachable;
            await db.SaveChangesAsync();
        }

        _events.Publish(new HostChanged(host.Id, HostHealthJob.ChangeKind));

        cut.WaitForAssertion(() =>
        {
            Assert.NotNull(cut.Find("a[aria-label='Unreachable: 1']"));
            Assert.NotNull(cut.Find("a[aria-label='Healthy: 0']"));
        }, TimeSpan.FromSeconds(10));
    }
}
