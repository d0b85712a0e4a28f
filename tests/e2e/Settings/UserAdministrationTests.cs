using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Settings;

[Collection(PortalTests.Name)]
public sealed class UserAdministrationTests(PortalFixture fixture)
{
    [Fact]
    public async Task ChangeRole_UpdatesGridAndAudit_WhenConfirmed()
    {
        const string email = "promoted@e2e.test";
        await using var admin = await fixture.NewAdminContextAsync();
        var page = await admin.NewPageAsync();

        await TestStep.RunAsync(page, "change-role", async () =>
        {
            var users = await UsersPage.OpenAsync(page);
            await users.CreateUserAsync(email, "Viewer");
            await users.ChangeRoleAsync(email, "Approver");
        });

        await TestStep.RunAsync(page, "change-role-audited", async () =>
        {
            var audit = await AuditPage.OpenAsync(page);
            var row = audit.Rows.Filter(new() { HasText = "user.role-change" }).Filter(new() { HasText = email });
            await Assertions.Expect(row).ToContainTextAsync("\"Viewer\"");
            await Assertions.Expect(row).ToContainTextAsync("\"Approver\"");
            await Assertions.Expect(row).ToContainTextAsync(PortalFixture.AdminEmail);
        });
    }

    [Fact]
    public async Task ResetPassword_GivesPasswordThatSignsIn_WhenConfirmed()
    {
        const string email = "forgetful@e2e.test";
        await using var admin = await fixture.NewAdminContextAsync();
        var adminPage = await admin.NewPageAsync();
        string oldPassword = "", newPassword = "";

        await TestStep.RunAsync(adminPage, "reset-password", async () =>
        {
            var users = await UsersPage.OpenAsync(adminPage);
            oldPassword = await users.CreateUserAsync(email, "Operator");
            newPassword = await users.ResetPasswordAsync(email);
        });
        Assert.NotEqual(oldPassword, newPassword);

        await using var context = await fixture.NewAnonymousContextAsync();
        var page = await context.NewPageAsync();
        await TestStep.RunAsync(page, "reset-password-sign-in", async () =>
        {
            var login = await LoginPage.OpenAsync(page, fixture.Portal.BaseAddress);
            await login.SignInAsync(email, oldPassword);
            await Assertions.Expect(login.Error).ToContainTextAsync("Invalid email or password");

            await login.SignInAsync(email, newPassword);
            var shell = new ShellPage(page);
            await shell.WaitUntilReadyAsync();
            await Assertions.Expect(shell.Heading).ToHaveTextAsync("Dashboard");
        });
    }
}
