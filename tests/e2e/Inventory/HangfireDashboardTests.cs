using System.Net;
using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Inventory;

[Collection(PortalTests.Name)]
public sealed class HangfireDashboardTests(PortalFixture fixture)
{
    [Fact]
    public async Task HangfireDashboard_ShowsRecurringFleetPolls_WhenAdminOpensIt()
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
        var hangfire = new HangfireDashboardPage(page);

        await TestStep.RunAsync(page, "hangfire-admin", async () =>
        {
            var response = await hangfire.GotoAsync("/recurring");
            Assert.NotNull(response);
            Assert.Equal((int)HttpStatusCode.OK, response.Status);
            await Assertions.Expect(hangfire.RecurringJob("fleet-inventory")).ToContainTextAsync("*/5 * * * *");
            await Assertions.Expect(hangfire.RecurringJob("fleet-health")).ToContainTextAsync("* * * * *");
        });

        Assert.Empty(errors);
    }

    [Fact]
    public async Task HangfireDashboard_Answers403_WhenViewerOpensIt()
    {
        // A name no other test's user contains: the users grid is filtered by text.
        const string email = "hangfire-denied@e2e.test";
        await using var admin = await fixture.NewAdminContextAsync();
        var adminPage = await admin.NewPageAsync();
        var password = "";
        await TestStep.RunAsync(adminPage, "hangfire-viewer-create", async () =>
            password = await (await UsersPage.OpenAsync(adminPage)).CreateUserAsync(email, "Viewer"));
        await using var viewer = await fixture.NewContextAsAsync(email, password);
        var page = await viewer.NewPageAsync();

        await TestStep.RunAsync(page, "hangfire-viewer-denied", async () =>
        {
            var response = await new HangfireDashboardPage(page).GotoAsync();
            Assert.NotNull(response);
            Assert.Equal((int)HttpStatusCode.Forbidden, response.Status);
            await Assertions.Expect(page.GetByText("fleet-inventory")).ToHaveCountAsync(0);
        });
    }

    [Fact]
    public async Task HangfireDashboard_SendsToSignIn_WhenAnonymous()
    {
        await using var context = await fixture.NewAnonymousContextAsync();
        var page = await context.NewPageAsync();

        await TestStep.RunAsync(page, "hangfire-anonymous", async () =>
        {
            await new HangfireDashboardPage(page).GotoAsync("/recurring");
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login\\?ReturnUrl=%2Fhangfire%2Frecurring$"));
            await Assertions.Expect(page.GetByText("fleet-inventory")).ToHaveCountAsync(0);
        });
    }
}
