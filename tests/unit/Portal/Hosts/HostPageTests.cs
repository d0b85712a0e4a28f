using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Tests.Unit.Portal.Shell;

namespace PatchPortal.Tests.Unit.Portal.Hosts;

public sealed class HostPageTests : PortalComponentTestContext, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset SeenAt = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private PortalTestHost _host = default!;
    private Guid _id;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(services: s => s.AddSingleton<IHostEnrollment, FakeHostEnrollment>());
        var added = await _host.GetScoped<HostCatalog>().AddAsync(new HostInput("web01", "10.0.0.1", 12443, [], ["blue"]), new Actor("seed", null), CancellationToken.None);
        _id = added.HostId!.Value;
        await using (var db = _host.CreateDbContext())
        {
            var host = await db.Hosts.SingleAsync();
            host.OsName = "Debian GNU/Linux";
            host.OsVersion = "12";
            host.KernelVersion = "6.1.0-18-amd64";
            host.AgentCertificateFingerprint = "AB:CD:EF";
            host.LastSeenAt = SeenAt;
            host.Health = HostHealth.Degraded;
            host.HealthReason = "disk almost full";
            db.HealthSamples.AddRange(
                new HealthSample { HostId = _id, At = SeenAt.AddMinutes(-10), Health = HostHealth.Healthy, LatencyMilliseconds = 12 },
                new HealthSample { HostId = _id, At = SeenAt, Health = HostHealth.Degraded, Reason = "disk almost full" });
            db.PendingUpdates.AddRange(
                new PendingUpdate { HostId = _id, PackageName = "bash", CandidateVersion = "5.2.1" },
                new PendingUpdate { HostId = _id, PackageName = "openssl", CurrentVersion = "3.0.1", CandidateVersion = "3.0.2", IsSecurity = true });
            db.InstalledPackages.AddRange(
                new InstalledPackage { HostId = _id, Name = "bash", Version = "5.2.0" },
                new InstalledPackage { HostId = _id, Name = "openssl", Version = "3.0.1" },
                new InstalledPackage { HostId = _id, Name = "libssl3", Version = "3.0.1" });
            await db.SaveChangesAsync();
        }

        Services.AddSingleton(_host.GetScoped<HostCatalog>());
        Services.AddSingleton(_host.Services.GetRequiredService<HostEventHub>());
        JSInterop.Setup<string?>("patchPortal.timeZone").SetResult("Asia/Tokyo");
        SignInAs(PortalRoles.Operator);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _host.DisposeAsync();
    }

    private IRenderedComponent<HostPage> RenderPage() => Render<HostPage>(p => p.Add(c => c.Id, _id));

    private static List<string> Rows(IRenderedComponent<HostPage> cut, string table) =>
        cut.FindAll($"table[aria-label='{table}'] tbody tr, [aria-label='{table}'] tbody tr").Select(r => r.TextContent).ToList();

    [Fact]
    public void HostPage_ShowsFactsWithLastSeenInViewerZone_WhenLoaded()
    {
        var cut = RenderPage();

        cut.WaitForAssertion(() =>
        {
            var facts = Rows(cut, "Facts");
            Assert.Contains(facts, r => r.Contains("Debian GNU/Linux 12", StringComparison.Ordinal));
            Assert.Contains(facts, r => r.Contains("6.1.0-18-amd64", StringComparison.Ordinal));
            Assert.Contains(facts, r => r.Contains("AB:CD:EF", StringComparison.Ordinal));
            Assert.Contains(facts, r => r.Contains("Last seen", StringComparison.Ordinal) && r.Contains("2026-01-01 09:00:00 Asia/Tokyo", StringComparison.Ordinal));
            Assert.Contains(facts, r => r.Contains("Inventory refreshed", StringComparison.Ordinal) && r.Contains("never", StringComparison.Ordinal));
        }, Timeout);
    }

    [Fact]
    public void HostPage_ListsHealthHistoryNewestFirst_WhenSamplesExist()
    {
        var cut = RenderPage();

        cut.WaitForAssertion(() =>
        {
            var history = Rows(cut, "Health history");
            Assert.Equal(2, history.Count);
            Assert.Contains("disk almost full", history[0], StringComparison.Ordinal);
            Assert.Contains("12 ms", history[1], StringComparison.Ordinal);
        }, Timeout);
    }

    [Fact]
    public void HostPage_ListsSecurityUpdatesFirst_WhenUpdatesArePending()
    {
        var cut = RenderPage();

        cut.WaitForAssertion(() =>
        {
            var updates = Rows(cut, "Pending updates");
            Assert.Equal(2, updates.Count);
            Assert.Contains("openssl", updates[0], StringComparison.Ordinal);
            Assert.Contains("security", updates[0], StringComparison.Ordinal);
        }, Timeout);
    }

    [Fact]
    public void HostPage_FiltersPackages_WhenSearchIsTyped()
    {
        var cut = RenderPage();
        cut.WaitForAssertion(() => Assert.Equal(3, Rows(cut, "Installed packages").Count), Timeout);

        cut.FindAll("input").Single(i => i.ParentElement!.ParentElement!.TextContent.Contains("Search packages", StringComparison.Ordinal)).Input("ssl");

        cut.WaitForAssertion(() =>
        {
            var packages = Rows(cut, "Installed packages");
            Assert.Equal(2, packages.Count);
            Assert.All(packages, p => Assert.Contains("ssl", p, StringComparison.Ordinal));
        }, Timeout);
    }

    [Fact]
    public void HostPage_OffersEditRemoveAndToken_WhenUserIsOperator()
    {
        var cut = RenderPage();

        cut.WaitForAssertion(() =>
        {
            var buttons = cut.FindAll("button").Select(b => b.TextContent.Trim()).ToList();
            Assert.Contains("Edit", buttons);
            Assert.Contains("Remove", buttons);
            Assert.Contains("New enrolment token", buttons);
        }, Timeout);
    }

    [Fact]
    public void HostPage_OffersNoChangeButtons_WhenUserIsViewer()
    {
        SignInAs(PortalRoles.Viewer);

        var cut = RenderPage();

        cut.WaitForAssertion(() => Assert.Equal(2, Rows(cut, "Pending updates").Count), Timeout);
        var buttons = cut.FindAll("button").Select(b => b.TextContent.Trim()).ToList();
        Assert.DoesNotContain("Edit", buttons);
        Assert.DoesNotContain("Remove", buttons);
        Assert.DoesNotContain("New enrolment token", buttons);
    }

    [Fact]
    public async Task HostPage_ShowsNewHealth_WhenHubReportsChangeOfThisHost()
    {
        var cut = RenderPage();
        cut.WaitForAssertion(() => Assert.Contains("Degraded", cut.Find("[data-testid='health-chip']").TextContent, StringComparison.Ordinal), Timeout);
        await using (var db = _host.CreateDbContext())
        {
            await db.Hosts.ExecuteUpdateAsync(s => s.SetProperty(h => h.Health, HostHealth.Healthy));
        }

        _host.Services.GetRequiredService<HostEventHub>().Publish(new HostChanged(_id, "health"));

        cut.WaitForAssertion(() => Assert.Contains("Healthy", cut.Find("[data-testid='health-chip']").TextContent, StringComparison.Ordinal), Timeout);
    }

    [Fact]
    public async Task HostPage_RemovesHostAndReturnsToList_WhenRemovalIsConfirmed()
    {
        var dialogs = Render<MudBlazor.MudDialogProvider>();
        var cut = RenderPage();
        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("button"), b => b.TextContent.Trim() == "Remove"), Timeout);

        // The click's handler waits for the confirmation, so it is not awaited here.
        var removing = cut.FindAll("button").Single(b => b.TextContent.Trim() == "Remove").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("Remove web01?", dialogs.Markup, StringComparison.Ordinal), Timeout);
        await dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Remove").ClickAsync(new());
        await removing.WaitAsync(Timeout);

        var navigation = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        cut.WaitForAssertion(() => Assert.EndsWith("/hosts", navigation.Uri, StringComparison.Ordinal), Timeout);
        await using var db = _host.CreateDbContext();
        Assert.False(await db.Hosts.AnyAsync());
    }

    [Fact]
    public void HostPage_SaysHostIsMissing_WhenIdIsUnknown()
    {
        var cut = Render<HostPage>(p => p.Add(c => c.Id, Guid.NewGuid()));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid='host-missing']")), Timeout);
    }
}
