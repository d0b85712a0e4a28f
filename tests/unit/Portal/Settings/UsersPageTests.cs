using Bunit;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Tests.Unit.Portal.Shell;

namespace PatchPortal.Tests.Unit.Portal.Settings;

public sealed class UsersPageTests : PortalComponentTestContext, IAsyncLifetime
{
    private PortalTestHost _host = default!;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Portal:Admin:Email"] = "admin@example.test",
            ["Portal:Admin:Password"] = "Admin-Passw0rd-1",
        });
        var admin = _host.Services.GetRequiredService<UserAdministration>();
        var actor = new Actor("admin@example.test", "127.0.0.1");
        await admin.CreateAsync("viewer.one@example.test", PortalRoles.Viewer, actor, CancellationToken.None);
        await admin.CreateAsync("operator.one@example.test", PortalRoles.Operator, actor, CancellationToken.None);
        Services.AddSingleton(admin);
        SignInAs(PortalRoles.Admin, "admin@example.test");
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public void UsersPage_ListsEveryUserWithRole_WhenLoaded()
    {
        var cut = Render<UsersPage>();

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("tbody tr").Select(r => r.TextContent).ToList();
            Assert.Equal(3, rows.Count);
            Assert.Contains(rows, r => r.Contains("viewer.one@example.test", StringComparison.Ordinal) && r.Contains(PortalRoles.Viewer, StringComparison.Ordinal));
            Assert.Contains(rows, r => r.Contains("operator.one@example.test", StringComparison.Ordinal) && r.Contains(PortalRoles.Operator, StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void UsersPage_OffersLockAndResetForEachUser_WhenLoaded()
    {
        var cut = Render<UsersPage>();

        cut.WaitForAssertion(() =>
        {
            Assert.NotNull(cut.Find("button[aria-label='Lock viewer.one@example.test']"));
            Assert.NotNull(cut.Find("button[aria-label='Reset password of operator.one@example.test']"));
        }, TimeSpan.FromSeconds(10));
    }
}
