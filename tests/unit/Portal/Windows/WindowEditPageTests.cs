using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Windows;
using PatchPortal.Tests.Unit.Portal.Shell;
using static PatchPortal.Tests.Unit.Portal.Windows.WindowTestData;

namespace PatchPortal.Tests.Unit.Portal.Windows;

/// <summary>The window form: live messages from the window rules and the preview of the next occurrences.</summary>
public sealed class WindowEditPageTests : PortalComponentTestContext, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(Utc(2027, 3, 1, 12));
    private PortalTestHost _host = default!;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(addFeatures: b => b.AddWindows(), services: s => s.AddSingleton<TimeProvider>(_time));
        await using (var db = _host.CreateDbContext())
        {
            db.HostGroups.Add(new HostGroup { Name = "web" });
            await db.SaveChangesAsync();
        }

        Services.AddSingleton(_host.GetScoped<WindowCatalog>());
        Services.AddSingleton(_host.Services.GetRequiredService<IMaintenanceSchedule>());
        Services.AddSingleton<TimeProvider>(_time);
        JSInterop.Setup<string?>("patchPortal.timeZone").SetResult("Europe/Berlin");
        SignInAs(PortalRoles.Operator);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _host.DisposeAsync();
    }

    private IRenderedComponent<WindowEditPage> RenderNew()
    {
        var cut = Render<WindowEditPage>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("input[type=datetime-local]")), Timeout);
        return cut;
    }

    private static AngleSharp.Dom.IElement Field(IRenderedComponent<WindowEditPage> cut, string label) =>
        cut.FindAll(".mud-input-control").First(c => c.QuerySelector("label")?.TextContent.Trim() == label).QuerySelector("input")!;

    [Fact]
    public void WindowEditPage_PreviewsMovedStartWithReason_WhenStartFallsInSpringGap()
    {
        var cut = RenderNew();

        cut.Find("input[type=datetime-local]").Change("2027-03-21T02:30");

        cut.WaitForAssertion(() =>
        {
            var occurrences = cut.FindAll("[data-testid=preview-occurrence]").Select(e => e.TextContent).ToList();
            Assert.Equal("Sun 2027-03-21 02:30 – 04:30 Europe/Berlin", occurrences[0]);
            Assert.Equal("Sun 2027-03-28 03:30 – 05:30 Europe/Berlin", occurrences[1]);
            Assert.Equal("02:30 does not exist on 2027-03-28 in Europe/Berlin; starts 03:30", cut.Find("[data-testid=preview-adjustment]").TextContent);
        }, Timeout);
    }

    [Fact]
    public void WindowEditPage_FollowsStartWeekday_WhenRecurrenceNotChosenYet()
    {
        var cut = RenderNew();

        cut.Find("input[type=datetime-local]").Change("2027-03-24T22:00");

        cut.WaitForAssertion(() => Assert.Equal("RRULE:FREQ=WEEKLY;BYDAY=WE", cut.Find("[data-testid=rrule]").TextContent), Timeout);
    }

    [Fact]
    public async Task WindowEditPage_ShowsMessagesAndSavesNothing_WhenNoTargetsAndCutoffTooLong()
    {
        var cut = RenderNew();
        Field(cut, "Name").Change("Night");
        Field(cut, "Cutoff (minutes)").Change("120");

        await cut.InvokeAsync(() => cut.FindAll("button").First(b => b.TextContent.Contains("Create window", StringComparison.OrdinalIgnoreCase)).Click());

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("The cutoff (2 h) must be shorter than the duration (2 h), or no host could ever start.", cut.Markup, StringComparison.Ordinal);
            Assert.Equal("Choose at least one group, tag or host: a window without targets patches nothing.", cut.Find("[data-testid=targets-error]").TextContent);
        }, Timeout);
        await using var db = _host.CreateDbContext();
        Assert.False(await db.MaintenanceWindows.AnyAsync());
    }
}
