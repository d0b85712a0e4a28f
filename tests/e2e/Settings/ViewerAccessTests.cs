using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Settings;

[Collection(PortalTests.Name)]
public sealed class ViewerAccessTests(PortalFixture fixture)
{
    private static readonly string[] ChangeButtons = ["New user", "Lock", "Unlock", "Reset password", "Change role", "Delete", "Edit"];

    [Fact]
    public async Task Viewer_CannotReachUsersOrChangeAnything_WhenCreatedByAdmin()
    {
        const string email = "viewer@e2e.test";
        await using var admin = await fixture.NewAdminContextAsync();
        var adminPage = await admin.NewPageAsync();
        string password = "";
        await TestStep.RunAsync(adminPage, "viewer-create", async () =>
            password = await (await UsersPage.OpenAsync(adminPage)).CreateUserAsync(email, "Viewer"));

        await using var viewer = await fixture.NewContextAsAsync(email, password);
        var page = await viewer.NewPageAsync();

        await TestStep.RunAsync(page, "viewer-dashboard", async () =>
        {
            await page.GotoAsync("/");
            var shell = new ShellPage(page);
            await shell.WaitUntilReadyAsync();
            await Assertions.Expect(shell.Heading).ToHaveTextAsync("Dashboard");
            await Assertions.Expect(shell.NavLink("Audit")).ToBeVisibleAsync();
            await Assertions.Expect(shell.NavLink("Users")).ToHaveCountAsync(0);
        });

        await TestStep.RunAsync(page, "viewer-audit-read-only", async () =>
        {
            var audit = await AuditPage.OpenAsync(page);
            await Assertions.Expect(audit.Rows.First).ToBeVisibleAsync();
            // Buttons on a page a viewer sees are navigation and display only: nothing that changes data.
            foreach (var name in ChangeButtons)
            {
                await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = name })).ToHaveCountAsync(0);
            }
        });

        await TestStep.RunAsync(page, "viewer-users-denied", async () =>
        {
            await page.GotoAsync("/settings/users");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Access denied" })).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "New user" })).ToHaveCountAsync(0);
        });
    }
}
