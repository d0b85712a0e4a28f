using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Hosts;

/// <summary>Hosts and groups through the real portal: an Operator manages hosts, a Viewer only looks.</summary>
[Collection(PortalTests.Name)]
public sealed class HostManagementTests(PortalFixture fixture)
{
    private static readonly string[] ChangeButtons = ["Add host", "Assign groups and tags", "Refresh now", "Edit", "Remove", "New enrolment token", "New group"];

    /// <summary>A new user with the role, signed in (one stored login per user, made once).</summary>
    private async Task<IBrowserContext> NewContextWithRoleAsync(string email, string role)
    {
        await using var admin = await fixture.NewAdminContextAsync();
        var page = await admin.NewPageAsync();
        string password = "";
        await TestStep.RunAsync(page, $"create-{role}", async () => password = await (await UsersPage.OpenAsync(page)).CreateUserAsync(email, role));
        return await fixture.NewContextAsAsync(email, password);
    }

    // Needs the portal's IHostEnrollment (the PKI-backed enrolment): without it no token is issued.
    [Fact]
    public async Task AddHost_ShowsTokenAndCommandOnce_WhenOperatorAddsHost()
    {
        await using var context = await NewContextWithRoleAsync("op-token@e2e.test", "Operator");
        var page = await context.NewPageAsync();

        await TestStep.RunAsync(page, "add-host-token", async () =>
        {
            var hosts = await HostsPage.OpenAsync(page);
            var ticket = await hosts.AddHostAsync("token01", "10.20.0.1");

            Assert.True(ticket is not null, "the portal issued no enrolment token (is IHostEnrollment registered?)");
            Assert.False(string.IsNullOrWhiteSpace(ticket.Value.Token));
            Assert.Contains(ticket.Value.Token, ticket.Value.Command, StringComparison.Ordinal);
            // Shown once: after Done, neither the list nor the host page shows the token again.
            await Assertions.Expect(page.GetByText(ticket.Value.Token)).ToHaveCountAsync(0);
            await HostPage.OpenFromListAsync(hosts, page, "token01");
            await Assertions.Expect(page.GetByText(ticket.Value.Token)).ToHaveCountAsync(0);
            Assert.DoesNotContain(ticket.Value.Token, await page.ContentAsync(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task AddHost_RefusesDuplicateNameWithMessage_WhenNameDiffersOnlyInCase()
    {
        await using var context = await NewContextWithRoleAsync("op-dup@e2e.test", "Operator");
        var page = await context.NewPageAsync();

        await TestStep.RunAsync(page, "add-host-duplicate", async () =>
        {
            var hosts = await HostsPage.OpenAsync(page);
            await hosts.AddHostAsync("dup01", "10.20.1.1");

            await hosts.SubmitNewHostAsync("DUP01", "10.20.1.2");

            await Assertions.Expect(hosts.AddDialog.GetByTestId("host-error")).ToHaveTextAsync("A host named 'dup01' already exists.");
            await Assertions.Expect(hosts.AddDialog.GetByText("A host named 'dup01' already exists.").First).ToBeVisibleAsync();
            await hosts.AddDialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
            await Assertions.Expect(hosts.Row("DUP01")).ToHaveCountAsync(0);
        });
    }

    [Fact]
    public async Task HostList_FiltersByGroupAndHealth_WhenUrlCarriesFilters()
    {
        await using (var admin = await fixture.NewAdminContextAsync())
        {
            var adminPage = await admin.NewPageAsync();
            await TestStep.RunAsync(adminPage, "filter-create-group", async () => await (await GroupsPage.OpenAsync(adminPage)).CreateGroupAsync("e2e-web"));
        }

        await using var context = await NewContextWithRoleAsync("op-filter@e2e.test", "Operator");
        var page = await context.NewPageAsync();
        await TestStep.RunAsync(page, "filter-add-hosts", async () =>
        {
            var hosts = await HostsPage.OpenAsync(page);
            await hosts.AddHostAsync("filt-web01", "10.20.2.1", group: "e2e-web");
            await hosts.AddHostAsync("filt-db01", "10.20.2.2");
        });

        await TestStep.RunAsync(page, "filter-by-group", async () =>
        {
            var hosts = await HostsPage.OpenAsync(page, "group=e2e-web");
            await Assertions.Expect(hosts.Row("filt-web01")).ToBeVisibleAsync();
            await Assertions.Expect(hosts.Row("filt-db01")).ToHaveCountAsync(0);
        });

        await TestStep.RunAsync(page, "filter-by-health", async () =>
        {
            // No agent has enrolled yet: both hosts wait for enrolment, none is Unreachable.
            var unknown = await HostsPage.OpenAsync(page, "health=PendingEnrolment");
            await Assertions.Expect(unknown.Row("filt-web01")).ToBeVisibleAsync();
            await Assertions.Expect(unknown.Row("filt-db01")).ToBeVisibleAsync();

            var unreachable = await HostsPage.OpenAsync(page, "health=Unreachable");
            await Assertions.Expect(page.GetByText("No hosts match.")).ToBeVisibleAsync();
            await Assertions.Expect(unreachable.Row("filt-web01")).ToHaveCountAsync(0);
        });

        await TestStep.RunAsync(page, "filter-switch-updates-url", async () =>
        {
            var hosts = await HostsPage.OpenAsync(page, "group=e2e-web");
            await page.GetByText("Reboot required", new() { Exact = true }).ClickAsync();
            // Blazor changes the URL in place (history API): poll the URL rather than wait for a page load.
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("group=e2e-web.*reboot=true|reboot=true.*group=e2e-web"));
            await Assertions.Expect(hosts.Row("filt-web01")).ToHaveCountAsync(0);
        });
    }

    [Fact]
    public async Task Viewer_SeesHostsButNoChangeButtons_WhenSignedIn()
    {
        await using (var op = await NewContextWithRoleAsync("seeder@e2e.test", "Operator"))
        {
            var opPage = await op.NewPageAsync();
            await TestStep.RunAsync(opPage, "viewer-seed-host", async () => await (await HostsPage.OpenAsync(opPage)).AddHostAsync("seen01", "10.20.3.1"));
        }

        await using var context = await NewContextWithRoleAsync("hostwatcher@e2e.test", "Viewer");
        var page = await context.NewPageAsync();
        await TestStep.RunAsync(page, "viewer-hosts-read-only", async () =>
        {
            var hosts = await HostsPage.OpenAsync(page);
            await Assertions.Expect(hosts.NavLink("Hosts")).ToBeVisibleAsync();
            await Assertions.Expect(hosts.Row("seen01")).ToBeVisibleAsync();
            await Assertions.Expect(hosts.Rows.First.GetByRole(AriaRole.Checkbox)).ToHaveCountAsync(0);
            await ExpectNoChangeButtonsAsync(page);

            await HostPage.OpenFromListAsync(hosts, page, "seen01");
            await ExpectNoChangeButtonsAsync(page);

            await GroupsPage.OpenAsync(page);
            await ExpectNoChangeButtonsAsync(page);
        });
    }

    [Fact]
    public async Task RemoveHost_AsksForConfirmation_BeforeRemoving()
    {
        await using var context = await NewContextWithRoleAsync("op-remove@e2e.test", "Operator");
        var page = await context.NewPageAsync();

        await TestStep.RunAsync(page, "remove-host", async () =>
        {
            var hosts = await HostsPage.OpenAsync(page);
            await hosts.AddHostAsync("gone01", "10.20.4.1");
            var host = await HostPage.OpenFromListAsync(hosts, page, "gone01");

            await host.RemoveButton.ClickAsync();
            await Assertions.Expect(host.ConfirmDialog).ToContainTextAsync("Remove gone01?");
            await host.ConfirmDialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
            await Assertions.Expect(host.ConfirmDialog).ToHaveCountAsync(0);
            await Assertions.Expect(host.Heading).ToHaveTextAsync("gone01");

            await host.RemoveButton.ClickAsync();
            await host.ConfirmDialog.GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/hosts$"));
            var list = new HostsPage(page);
            await Assertions.Expect(list.Heading).ToHaveTextAsync("Hosts");
            await Assertions.Expect(list.Rows.First).ToBeVisibleAsync();
            await Assertions.Expect(list.Row("gone01")).ToHaveCountAsync(0);
        });

        await TestStep.RunAsync(page, "remove-host-audited", async () =>
        {
            var audit = await AuditPage.OpenAsync(page);
            var row = audit.Rows.Filter(new() { HasText = "host.remove" }).Filter(new() { HasText = "gone01" });
            await Assertions.Expect(row).ToContainTextAsync("op-remove@e2e.test");
        });
    }

    private static async Task ExpectNoChangeButtonsAsync(IPage page)
    {
        foreach (var name in ChangeButtons)
        {
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true })).ToHaveCountAsync(0);
        }
    }
}
