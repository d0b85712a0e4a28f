using System.Net;
using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Fleet;

/// <summary>
/// The whole first-day path with real processes: an admin adds two hosts, each host's agent enrols with the token and
/// command the portal showed (running the real <c>patch-agent enroll</c>), and the portal's background refresh brings
/// their health, packages and pending updates into the open browser without a reload.
/// </summary>
[Collection(PortalTests.Name)]
public sealed class FleetEnrollmentTests(PortalFixture fixture) : IAsyncLifetime
{
    private readonly List<AgentProcess> _agents = [];
    private readonly TestPki _unused = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("patchportal-fleet-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        _unused.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Admin_EnrolsTwoAgentsWithTheShownCommand_AndWatchesTheirInventoryArriveLive()
    {
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        var hosts = await HostsPage.OpenAsync(page);
        var fleet = new[] { ("fleet-a", "127.0.0.21"), ("fleet-b", "127.0.0.22") };

        foreach (var (name, address) in fleet)
        {
            var ticket = await hosts.AddHostAsync(name, address);
            Assert.True(ticket is not null, "the portal issued no enrolment token");
            await EnrolAndStartAsync(name, IPAddress.Parse(address), ticket.Value.Command);
        }

        await TestStep.RunAsync(page, "fleet-refresh-live", async () =>
        {
            hosts = await HostsPage.OpenAsync(page);
            await page.EvaluateAsync("() => window.__patchportalNoReload = true");
            foreach (var (name, _) in fleet)
            {
                await hosts.Row(name).GetByRole(AriaRole.Checkbox).CheckAsync();
            }

            await page.GetByRole(AriaRole.Button, new() { Name = "Refresh now" }).ClickAsync();
            foreach (var (name, _) in fleet)
            {
                await Assertions.Expect(hosts.Row(name)).ToContainTextAsync("Healthy", new() { Timeout = 90_000 });
            }

            Assert.True(await page.EvaluateAsync<bool>("() => window.__patchportalNoReload === true"), "the page reloaded");
        });

        await TestStep.RunAsync(page, "fleet-filter", async () =>
        {
            var healthy = await HostsPage.OpenAsync(page, "health=Healthy");
            await Assertions.Expect(healthy.Row("fleet-a")).ToBeVisibleAsync();
            await Assertions.Expect(healthy.Row("fleet-b")).ToBeVisibleAsync();
            var pending = await HostsPage.OpenAsync(page, "health=PendingEnrolment");
            await Assertions.Expect(pending.Row("fleet-a")).ToHaveCountAsync(0);
        });

        await TestStep.RunAsync(page, "fleet-host-page", async () =>
        {
            var list = await HostsPage.OpenAsync(page);
            await HostPage.OpenFromListAsync(list, page, "fleet-a");
            var updates = page.Locator("[aria-label='Pending updates']");
            var packages = page.Locator("[aria-label='Installed packages']");
            await Assertions.Expect(updates).ToContainTextAsync("linux-image", new() { Timeout = 30_000 });
            await Assertions.Expect(packages.Locator("tbody tr").First).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("[aria-label='Facts']")).ToContainTextAsync("simulated");
        });
    }

    /// <summary>Does on "the host" what the admin is told to: run the shown command (on a free port), then start the agent.</summary>
    private async Task EnrolAndStartAsync(string name, IPAddress address, string command) =>
        _agents.Add(await AgentEnrollment.EnrolAndStartAsync(_directory, name, address, command, _unused));
}
