using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Account;

[Collection(PortalTests.Name)]
public sealed class LoginTests(PortalFixture fixture)
{
    [Fact]
    public async Task SignIn_ShowsDashboardShell_WhenAdminUsesConfiguredCredentials()
    {
        await using var context = await fixture.NewAnonymousContextAsync();
        var page = await context.NewPageAsync();

        await TestStep.RunAsync(page, "admin-sign-in", async () =>
        {
            var login = await LoginPage.OpenAsync(page, fixture.Portal.BaseAddress);
            await login.SignInAsync(PortalFixture.AdminEmail, PortalFixture.AdminPassword);

            var shell = new ShellPage(page);
            await shell.WaitUntilReadyAsync();
            await Assertions.Expect(shell.Heading).ToHaveTextAsync("Dashboard");
            await Assertions.Expect(shell.NavLink("Dashboard")).ToBeVisibleAsync();
            await Assertions.Expect(shell.NavLink("Audit")).ToBeVisibleAsync();
            await Assertions.Expect(shell.NavLink("Users")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Group, new() { Name = "Hosts" })).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task SignIn_ShowsError_WhenPasswordIsWrong()
    {
        await using var context = await fixture.NewAnonymousContextAsync();
        var page = await context.NewPageAsync();

        await TestStep.RunAsync(page, "wrong-password", async () =>
        {
            var login = await LoginPage.OpenAsync(page, fixture.Portal.BaseAddress);
            await login.SignInAsync("nobody@e2e.test", "Not-the-passw0rd");

            await Assertions.Expect(login.Error).ToContainTextAsync("Invalid email or password");
            await Assertions.Expect(login.SignInButton).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task SignIn_LocksAccount_WhenPasswordFailsFiveTimes()
    {
        const string email = "lockout@e2e.test";
        await using var admin = await fixture.NewAdminContextAsync();
        var adminPage = await admin.NewPageAsync();
        string password = "";
        await TestStep.RunAsync(adminPage, "lockout-create-user", async () =>
            password = await (await UsersPage.OpenAsync(adminPage)).CreateUserAsync(email, "Viewer"));

        await using var context = await fixture.NewAnonymousContextAsync();
        var page = await context.NewPageAsync();
        await TestStep.RunAsync(page, "lockout-failures", async () =>
        {
            var login = await LoginPage.OpenAsync(page, fixture.Portal.BaseAddress);
            for (var attempt = 1; attempt <= 4; attempt++)
            {
                await login.SignInAsync(email, "Wrong-passw0rd-" + attempt);
                await Assertions.Expect(login.Error).ToContainTextAsync("Invalid email or password");
            }

            await login.SignInAsync(email, "Wrong-passw0rd-5");
            await Assertions.Expect(login.Error).ToContainTextAsync("locked");

            // The right password no longer helps while the account is locked.
            await login.SignInAsync(email, password);
            await Assertions.Expect(login.Error).ToContainTextAsync("locked");
        });
    }
}
