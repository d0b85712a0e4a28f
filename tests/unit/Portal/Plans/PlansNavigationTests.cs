using Bunit;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Shell;
using PatchPortal.Tests.Unit.Portal.Shell;

namespace PatchPortal.Tests.Unit.Portal.Plans;

public sealed class PlansNavigationTests : PortalComponentTestContext
{
    [Theory]
    [InlineData(PortalRoles.Viewer)]
    [InlineData(PortalRoles.Operator)]
    [InlineData(PortalRoles.Approver)]
    [InlineData(PortalRoles.Admin)]
    public void NavMenu_ShowsPlans_WhenUserHasAnyRole(string role)
    {
        SignInAs(role);

        var cut = Render<NavMenu>();

        Assert.Contains(cut.FindAll("a"), a => a.GetAttribute("href") == "/plans" && a.TextContent.Trim() == "Plans");
    }
}
