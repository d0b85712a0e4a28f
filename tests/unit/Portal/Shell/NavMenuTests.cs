using Bunit;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Shell;

namespace PatchPortal.Tests.Unit.Portal.Shell;

public sealed class NavMenuTests : PortalComponentTestContext
{
    [Fact]
    public void NavMenu_ShowsUsersLink_WhenUserIsAdmin()
    {
        SignInAs(PortalRoles.Admin);

        var cut = Render<NavMenu>();

        Assert.Contains(cut.FindAll("a"), a => a.GetAttribute("href") == "/settings/users");
    }

    [Fact]
    public void NavMenu_ShowsBackgroundJobsLink_WhenUserIsAdmin()
    {
        SignInAs(PortalRoles.Admin);

        var cut = Render<NavMenu>();

        Assert.Contains(cut.FindAll("a"), a => a.GetAttribute("href") == "/hangfire" && a.TextContent.Contains("Background jobs", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(PortalRoles.Viewer)]
    [InlineData(PortalRoles.Operator)]
    [InlineData(PortalRoles.Approver)]
    public void NavMenu_HidesUsersLinkButShowsDashboard_WhenUserIsNotAdmin(string role)
    {
        SignInAs(role);

        var cut = Render<NavMenu>();

        var links = cut.FindAll("a").Select(a => a.GetAttribute("href")).ToList();
        Assert.DoesNotContain("/settings/users", links);
        Assert.DoesNotContain("/hangfire", links);
        Assert.Contains("/", links);
        Assert.Contains("/audit", links);
    }

    [Theory]
    [InlineData(PortalRoles.Viewer)]
    [InlineData(PortalRoles.Operator)]
    [InlineData(PortalRoles.Admin)]
    public void NavMenu_ShowsHostsAndGroups_WhenUserHasAnyRole(string role)
    {
        SignInAs(role);

        var cut = Render<NavMenu>();

        var links = cut.FindAll("a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Contains("/hosts", links);
        Assert.Contains("/groups", links);
    }

    [Fact]
    public void NavMenu_ShowsNoLinks_WhenUserHasNoRole()
    {
        SignInAs("SomethingElse");

        var cut = Render<NavMenu>();

        Assert.Empty(cut.FindAll("a"));
    }
}
