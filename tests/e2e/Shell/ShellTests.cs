using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Shell;

[Collection(PortalTests.Name)]
public sealed class ShellTests(PortalFixture fixture)
{
    [Fact]
    public async Task Pages_RenderWithoutBrowserErrors_WhenContentSecurityPolicyApplies()
    {
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Add(error);

        await TestStep.RunAsync(page, "csp-pages", async () =>
        {
            var response = await page.GotoAsync("/");
            Assert.NotNull(response);
            var headers = await response.AllHeadersAsync();
            Assert.Contains("script-src 'self'", headers["content-security-policy"], StringComparison.Ordinal);
            Assert.Equal("nosniff", headers["x-content-type-options"]);
            await new ShellPage(page).WaitUntilReadyAsync();
            await AuditPage.OpenAsync(page);
            await Assertions.Expect(new AuditPage(page).Rows.First).ToBeVisibleAsync();
            await UsersPage.OpenAsync(page);
            await Assertions.Expect(new UsersPage(page).Row(PortalFixture.AdminEmail)).ToBeVisibleAsync();
        });

        Assert.Empty(errors);
    }

    [Fact]
    public async Task ThemeToggle_KeepsDarkMode_WhenPageIsReloaded()
    {
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        var toDark = page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark theme" });
        var toLight = page.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme" });

        await TestStep.RunAsync(page, "theme-toggle", async () =>
        {
            await page.GotoAsync("/");
            await new ShellPage(page).WaitUntilReadyAsync();
            await toDark.ClickAsync();
            await Assertions.Expect(toLight).ToBeVisibleAsync();

            await page.ReloadAsync();
            await new ShellPage(page).WaitUntilReadyAsync();
            await Assertions.Expect(toLight).ToBeVisibleAsync();

            // Leave the shared admin as it was.
            await toLight.ClickAsync();
            await Assertions.Expect(toDark).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task SignOut_ReturnsToLoginAndProtectsPages_WhenClicked()
    {
        await using var context = await fixture.NewAnonymousContextAsync();
        var page = await context.NewPageAsync();

        await TestStep.RunAsync(page, "sign-out", async () =>
        {
            var login = await LoginPage.OpenAsync(page, fixture.Portal.BaseAddress);
            await login.SignInAsync(PortalFixture.AdminEmail, PortalFixture.AdminPassword);
            var shell = new ShellPage(page);
            await shell.WaitUntilReadyAsync();

            await shell.SignOutButton.ClickAsync();
            await Assertions.Expect(login.SignInButton).ToBeVisibleAsync();

            await page.GotoAsync("/audit");
            await Assertions.Expect(login.SignInButton).ToBeVisibleAsync();
            Assert.Contains("returnUrl=%2Faudit", page.Url, StringComparison.OrdinalIgnoreCase);
        });
    }
}
