using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Portal.Windows;
using PatchPortal.Tests.Unit.Portal.Shell;
using static PatchPortal.Tests.Unit.Portal.Windows.WindowTestData;

namespace PatchPortal.Tests.Unit.Portal.Windows;

/// <summary>The calendar's month and week views over real windows and blackouts, in the viewer's zone (Europe/Berlin).</summary>
public sealed class CalendarPageTests : PortalComponentTestContext, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly Actor Operator = new("operator@example.test", null);
    private readonly FakeTimeProvider _time = new(Utc(2027, 3, 1, 12));
    private PortalTestHost _host = default!;
    private Guid _web;
    private Guid _db;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(addFeatures: b => b.AddWindows(), services: s => s.AddSingleton<TimeProvider>(_time));
        await using (var db = _host.CreateDbContext())
        {
            var web = new HostGroup { Name = "web" };
            var dbGroup = new HostGroup { Name = "db" };
            db.HostGroups.AddRange(web, dbGroup);
            await db.SaveChangesAsync();
            (_web, _db) = (web.Id, dbGroup.Id);
        }

        var windows = _host.GetScoped<WindowCatalog>();
        Assert.True((await windows.CreateAsync(
            Input(start: new DateTime(2027, 3, 21, 2, 30, 0), targets: new TargetSet([_web], [], [])) with { Name = "Sunday night" },
            Operator, CancellationToken.None)).Succeeded);
        Assert.True((await windows.CreateAsync(
            Input(rule: "FREQ=WEEKLY;BYDAY=WE", start: new DateTime(2027, 3, 3, 22, 0, 0), targets: new TargetSet([_db], [], [])) with { Name = "Database Wednesday" },
            Operator, CancellationToken.None)).Succeeded);
        Assert.True((await _host.GetScoped<BlackoutCatalog>().CreateAsync(
            new BlackoutInput("Freeze", "release", Utc(2027, 3, 26, 23), Utc(2027, 3, 28, 22), true, TargetSet.Empty),
            Operator, CancellationToken.None)).Succeeded);

        Services.AddSingleton(_host.GetScoped<CalendarQuery>());
        Services.AddSingleton(_host.Services.GetRequiredService<CalendarChangeHub>());
        Services.AddSingleton<TimeProvider>(_time);
        JSInterop.Setup<string?>("patchPortal.timeZone").SetResult("Europe/Berlin");
        SignInAs(PortalRoles.Viewer);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _host.DisposeAsync();
    }

    private IRenderedComponent<CalendarPage> RenderAt(string url)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(url);
        var cut = Render<CalendarPage>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=calendar-title]")), Timeout);
        return cut;
    }

    private static List<string> EntriesOn(IRenderedComponent<CalendarPage> cut, string date) =>
        cut.FindAll($"td[data-date='{date}'] [role=button]").Select(e => e.GetAttribute("aria-label") ?? "").ToList();

    [Fact]
    public void CalendarPage_ListsBlackoutBeforeOccurrence_WhenBlackoutCoversItsDay()
    {
        var cut = RenderAt("/calendar?date=2027-03-21");

        cut.WaitForAssertion(() => Assert.Equal(["Blackout Freeze", "Sunday night 03:30–05:30"], EntriesOn(cut, "2027-03-28")), Timeout);
    }

    [Fact]
    public void CalendarPage_ShowsEveryOccurrenceOfMonth_WhenMonthView()
    {
        var cut = RenderAt("/calendar?date=2027-03-21");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("March 2027", cut.Find("[data-testid=calendar-title]").TextContent);
            Assert.Equal(42, cut.FindAll("td[data-date]").Count);
            Assert.Equal(4, cut.FindAll("[data-testid=calendar-occurrence][aria-label^='Sunday night']").Count); // 21 and 28 March, 4 and 11 April
            Assert.Equal(["Database Wednesday 22:00–00:00"], EntriesOn(cut, "2027-03-10"));
        }, Timeout);
    }

    [Fact]
    public void CalendarPage_ShowsSevenDaysWithSpans_WhenWeekView()
    {
        var cut = RenderAt("/calendar?view=week&date=2027-03-24");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("Week of 2027-03-22 – 2027-03-28", cut.Find("[data-testid=calendar-title]").TextContent);
            Assert.Equal(7, cut.FindAll("td[data-date]").Count);
            Assert.Contains("02:30 does not exist on 2027-03-28 in Europe/Berlin; starts 03:30", cut.Find("td[data-date='2027-03-28']").TextContent, StringComparison.Ordinal);
        }, Timeout);
    }

    [Fact]
    public void CalendarPage_HidesWindowsOfOtherGroups_WhenFilteredByGroup()
    {
        var cut = RenderAt($"/calendar?date=2027-03-21&group={_db}");

        cut.WaitForAssertion(() =>
        {
            Assert.NotEmpty(cut.FindAll("[data-testid=calendar-occurrence][aria-label^='Database Wednesday']"));
            Assert.Empty(cut.FindAll("[data-testid=calendar-occurrence][aria-label^='Sunday night']"));
            Assert.NotEmpty(cut.FindAll("[data-testid=calendar-blackout]"));
        }, Timeout);
    }

    [Fact]
    public void CalendarPage_NamesViewerZone_WhenRendered()
    {
        var cut = RenderAt("/calendar?date=2027-03-21");

        Assert.Contains("Europe/Berlin", cut.Find("[data-testid=calendar-zone]").TextContent, StringComparison.Ordinal);
    }
}
