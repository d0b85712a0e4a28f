using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using PatchPortal.Portal.Account;

namespace PatchPortal.Tests.Unit.Portal.Shell;

public sealed class PageAuthorizationTests
{
    private static readonly Type[] Pages = typeof(PortalRoles).Assembly.GetTypes()
        .Where(t => t.GetCustomAttributes<RouteAttribute>().Any())
        .ToArray();

    // Only the sign-in page is open to everyone; access-denied needs a signed-in user but no particular role.
    private static readonly string[] Anonymous = ["/account/login"];
    private static readonly string[] SignedInOnly = ["/account/denied"];

    [Fact]
    public void Pages_AreFound_WhenPortalAssemblyIsScanned() => Assert.True(Pages.Length >= 5);

    [Fact]
    public void EveryPage_NamesAPortalPolicy_UnlessItIsAnAccountPage()
    {
        var policies = typeof(PortalPolicies).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();

        foreach (var page in Pages)
        {
            var route = page.GetCustomAttributes<RouteAttribute>().First().Template;
            var authorize = page.GetCustomAttribute<AuthorizeAttribute>();
            var anonymous = page.GetCustomAttribute<AllowAnonymousAttribute>();
            if (Anonymous.Contains(route))
            {
                Assert.NotNull(anonymous);
                continue;
            }

            Assert.Null(anonymous);
            Assert.True(authorize is not null, $"{page.Name} ({route}) has no [Authorize]");
            if (!SignedInOnly.Contains(route))
            {
                Assert.True(authorize.Policy is not null && policies.Contains(authorize.Policy), $"{page.Name} ({route}) names no portal policy");
            }
        }
    }

    [Fact]
    public void UsersPage_RequiresAdministerPolicy_WhenInspected()
    {
        var users = Pages.Single(p => p.GetCustomAttributes<RouteAttribute>().Any(r => r.Template == "/settings/users"));

        Assert.Equal(PortalPolicies.Administer, users.GetCustomAttribute<AuthorizeAttribute>()!.Policy);
    }
}
