using Bunit;
using PatchPortal.Portal.Dashboard;
using PatchPortal.Tests.Unit.Portal.Shell;

namespace PatchPortal.Tests.Unit.Portal.Dashboard;

public sealed class DashboardCardTests : PortalComponentTestContext
{
    [Fact]
    public void DashboardCard_LinksToFilteredHostList_WhenHrefIsGiven()
    {
        var cut = Render<DashboardCard>(p => p.Add(c => c.Label, "Unreachable").Add(c => c.Value, 3).Add(c => c.Href, "/hosts?health=Unreachable"));

        var link = cut.Find("a");
        Assert.Equal("/hosts?health=Unreachable", link.GetAttribute("href"));
        Assert.Equal("Unreachable", link.TextContent.Trim());
    }

    [Fact]
    public void DashboardCard_ShowsPlainLabel_WhenNoHrefIsGiven()
    {
        var cut = Render<DashboardCard>(p => p.Add(c => c.Label, "Hosts").Add(c => c.Value, 3));

        Assert.Empty(cut.FindAll("a"));
    }
}
