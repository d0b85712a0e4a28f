using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Inventory;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Tests.Unit.Portal.Shell;

namespace PatchPortal.Tests.Unit.Portal.Hosts;

public sealed class HostListTests : PortalComponentTestContext, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly RecordingRefreshScheduler _refresh = new();
    private PortalTestHost _host = default!;
    private readonly Dictionary<string, Guid> _ids = [];

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(services: s =>
        {
            s.AddSingleton<IHostEnrollment, FakeHostEnrollment>();
            s.AddSingleton<IHostRefreshScheduler>(_refresh);
        });
        var catalog = _host.GetScoped<HostCatalog>();
        Guid web;
        await using (var db = _host.CreateDbContext())
        {
            var group = new HostGroup { Name = "web" };
            db.HostGroups.Add(group);
            await db.SaveChangesAsync();
            web = group.Id;
        }

        var actor = new Actor("seed", null);
        foreach (var (name, health, security, groups) in new[]
                 {
                     ("web01", HostHealth.Unreachable, 2, new[] { web }),
                     ("web02", HostHealth.Healthy, 0, new[] { web }),
                     ("db01", HostHealth.Healthy, 5, Array.Empty<Guid>()),
                 })
        {
            var added = await catalog.AddAsync(new HostInput(name, $"{name}.example.test", 12443, groups, []), actor, CancellationToken.None);
            _ids[name] = added.HostId!.Value;
            await using var db = _host.CreateDbContext();
            await db.Hosts.Where(h => h.Name == name).ExecuteUpdateAsync(s => s
                .SetProperty(h => h.Health, health)
                .SetProperty(h => h.HealthReason, health == HostHealth.Unreachable ? "connection refused" : null)
                .SetProperty(h => h.PendingSecurityCount, security));
        }

        Services.AddSingleton(_host.GetScoped<HostCatalog>());
        Services.AddSingleton(_host.Services.GetRequiredService<HostEventHub>());
        JSInterop.Setup<string?>("patchPortal.timeZone").SetResult("UTC");
        SignInAs(PortalRoles.Operator);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _host.DisposeAsync();
    }

    private IRenderedComponent<HostList> RenderAt(string url)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(url);
        return Render<HostList>();
    }

    private static List<string> HostNames(IRenderedComponent<HostList> cut) =>
        cut.FindAll("tbody tr a").Select(a => a.TextContent.Trim()).ToList();

    [Fact]
    public void HostList_ShowsOnlyUnreachableHosts_WhenUrlAsksForHealthUnreachable()
    {
        var cut = RenderAt("/hosts?health=Unreachable");

        cut.WaitForAssertion(() => Assert.Equal(["web01"], HostNames(cut)), Timeout);
        Assert.Equal(new HostFilter(Health: HostHealth.Unreachable), cut.Instance.CurrentFilter);
    }

    [Fact]
    public void HostList_CombinesGroupAndSecurityFilters_WhenUrlHasBoth()
    {
        var cut = RenderAt("/hosts?group=web&security=true");

        cut.WaitForAssertion(() => Assert.Equal(["web01"], HostNames(cut)), Timeout);
    }

    [Fact]
    public void HostList_IgnoresUnknownHealth_WhenUrlIsMalformed()
    {
        var cut = RenderAt("/hosts?health=Sideways&security=maybe");

        cut.WaitForAssertion(() => Assert.Equal(["db01", "web01", "web02"], HostNames(cut)), Timeout);
        Assert.Equal(new HostFilter(), cut.Instance.CurrentFilter);
    }

    [Fact]
    public void HostList_PutsFilterIntoUrl_WhenSwitchIsTurnedOn()
    {
        var cut = RenderAt("/hosts");
        cut.WaitForAssertion(() => Assert.Equal(3, HostNames(cut).Count), Timeout);

        cut.FindAll("label").Single(l => l.TextContent.Contains("Reboot required", StringComparison.Ordinal)).QuerySelector("input")!.Change(true);

        var navigation = Services.GetRequiredService<NavigationManager>();
        cut.WaitForAssertion(() => Assert.EndsWith("/hosts?reboot=true", navigation.Uri, StringComparison.Ordinal), Timeout);
        cut.WaitForAssertion(() => Assert.Empty(HostNames(cut)), Timeout);
    }

    [Fact]
    public void HostList_ShowsReasonOfUnreachableHost_WhenListed()
    {
        var cut = RenderAt("/hosts?health=Unreachable");

        cut.WaitForAssertion(() =>
            Assert.Equal("Health: Unreachable (connection refused)", cut.Find("[data-testid='health-chip']").GetAttribute("aria-label")), Timeout);
    }

    [Fact]
    public async Task HostList_ReloadsCurrentPage_WhenHubReportsAChange()
    {
        var cut = RenderAt("/hosts?health=Unreachable");
        cut.WaitForAssertion(() => Assert.Equal(["web01"], HostNames(cut)), Timeout);
        await using (var db = _host.CreateDbContext())
        {
            await db.Hosts.Where(h => h.Name == "db01").ExecuteUpdateAsync(s => s.SetProperty(h => h.Health, HostHealth.Unreachable));
        }

        _host.Services.GetRequiredService<HostEventHub>().Publish(new HostChanged(_ids["db01"], "health"));

        cut.WaitForAssertion(() => Assert.Equal(["db01", "web01"], HostNames(cut)), Timeout);
    }

    [Fact]
    public void HostList_OffersChangeButtons_WhenUserIsOperator()
    {
        var cut = RenderAt("/hosts");

        cut.WaitForAssertion(() =>
        {
            Assert.Contains(cut.FindAll("button"), b => b.TextContent.Contains("Add host", StringComparison.Ordinal));
            Assert.Contains(cut.FindAll("button"), b => b.TextContent.Contains("Refresh now", StringComparison.Ordinal));
        }, Timeout);
    }

    [Fact]
    public void HostList_ShowsNoChangeButtonsOrSelection_WhenUserIsViewer()
    {
        SignInAs(PortalRoles.Viewer);

        var cut = RenderAt("/hosts");

        cut.WaitForAssertion(() => Assert.Equal(3, HostNames(cut).Count), Timeout);
        Assert.DoesNotContain(cut.FindAll("button"), b => b.TextContent.Contains("Add host", StringComparison.Ordinal)
            || b.TextContent.Contains("Assign", StringComparison.Ordinal) || b.TextContent.Contains("Refresh now", StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("tbody input[type='checkbox']"));
    }

    [Fact]
    public void HostList_QueuesRefreshOfSelectedHosts_WhenRefreshNowIsClicked()
    {
        var cut = RenderAt("/hosts?group=web");
        cut.WaitForAssertion(() => Assert.Equal(2, HostNames(cut).Count), Timeout);

        foreach (var box in cut.FindAll("tbody input[type='checkbox']"))
        {
            box.Change(true);
        }

        cut.WaitForAssertion(() => Assert.Contains("2 selected", cut.Find("[data-testid='selection-count']").TextContent, StringComparison.Ordinal), Timeout);
        cut.FindAll("button").Single(b => b.TextContent.Contains("Refresh now", StringComparison.Ordinal)).Click();

        var request = Assert.Single(_refresh.Requests);
        Assert.Equal(new[] { _ids["web01"], _ids["web02"] }.Order(), request.Order());
    }
}
