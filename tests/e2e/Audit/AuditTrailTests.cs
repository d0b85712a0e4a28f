using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Audit;

[Collection(PortalTests.Name)]
public sealed class AuditTrailTests(PortalFixture fixture)
{
    [Fact]
    public async Task AuditPage_ListsSignIns_InViewersTimeZone()
    {
        // A failed attempt of our own, so the trail must hold both kinds whatever ran before.
        await using (var anonymous = await fixture.NewAnonymousContextAsync())
        {
            var loginPage = await anonymous.NewPageAsync();
            var login = await LoginPage.OpenAsync(loginPage, fixture.Portal.BaseAddress);
            await login.SignInAsync("audit-probe@e2e.test", "Wrong-passw0rd-1");
            await Assertions.Expect(login.Error).ToBeVisibleAsync();

            // And a fresh successful sign-in: the shared admin context reuses a stored login, so its sign-in may be
            // far down the trail once other tests have written to it.
            var adminPage = await anonymous.NewPageAsync();
            var adminLogin = await LoginPage.OpenAsync(adminPage, fixture.Portal.BaseAddress);
            await adminLogin.SignInAsync(PortalFixture.AdminEmail, PortalFixture.AdminPassword);
            await new ShellPage(adminPage).WaitUntilReadyAsync();
        }

        await using var admin = await fixture.NewAdminContextAsync();
        var page = await admin.NewPageAsync();

        await TestStep.RunAsync(page, "audit-sign-ins", async () =>
        {
            var audit = await AuditPage.OpenAsync(page);
            var success = audit.Rows.Filter(new() { HasText = "auth.sign-in" }).Filter(new() { HasText = PortalFixture.AdminEmail });
            await Assertions.Expect(success.First).ToBeVisibleAsync();
            await Assertions.Expect(success.First).ToContainTextAsync(PortalFixture.BrowserTimeZone);
            await Assertions.Expect(success.First).ToContainTextAsync("127.0.0.1");

            var failure = audit.Rows.Filter(new() { HasText = "auth.sign-in-failed" }).Filter(new() { HasText = "audit-probe@e2e.test" });
            await Assertions.Expect(failure.First).ToContainTextAsync("failed");
        });

        await TestStep.RunAsync(page, "audit-filter-by-actor", async () =>
        {
            var audit = new AuditPage(page);
            await audit.ActorFilter.FillAsync("audit-probe");
            await Assertions.Expect(audit.Rows.Filter(new() { HasText = PortalFixture.AdminEmail })).ToHaveCountAsync(0);
            await Assertions.Expect(audit.Rows.Filter(new() { HasText = "audit-probe@e2e.test" }).First).ToBeVisibleAsync();
        });
    }
}
