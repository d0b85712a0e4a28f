using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Dashboard;

[Collection(PortalTests.Name)]
public sealed class DashboardTests(PortalFixture fixture)
{
    private static readonly (string Label, string Href)[] Cards =
    [
        ("Hosts", "/hosts"),
        ("Healthy", "/hosts?health=Healthy"),
        ("Degraded", "/hosts?health=Degraded"),
        ("Unreachable", "/hosts?health=Unreachable"),
        ("Pending enrolment", "/hosts?health=PendingEnrolment"),
        ("Pending security updates", "/hosts?security=true"),
        ("Reboot required", "/hosts?reboot=true"),
        ("Stale inventory", "/hosts?stale=true"),
        ("Certificates expiring", "/hosts?certExpiring=true"),
    ];

    [Fact]
    public async Task Dashboard_ShowsEveryCardAsLinkIntoFilteredHostList_WhenAdminOpensIt()
    {
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();

        await TestStep.RunAsync(page, "dashboard-cards", async () =>
        {
            var dashboard = await DashboardPage.OpenAsync(page);
            foreach (var (label, href) in Cards)
            {
                var card = dashboard.Card(label);
                await Assertions.Expect(card).ToBeVisibleAsync();
                await Assertions.Expect(card).ToHaveAttributeAsync("href", href);
            }
        });
    }
}
