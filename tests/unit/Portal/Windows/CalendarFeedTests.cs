using Ical.Net;
using Ical.Net.DataTypes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Portal.Windows;
using static PatchPortal.Tests.Unit.Portal.Windows.WindowTestData;

namespace PatchPortal.Tests.Unit.Portal.Windows;

/// <summary>The feeds parsed back with Ical.Net: a subscriber expands the same occurrences as the portal.</summary>
public sealed class CalendarFeedTests : IAsyncLifetime
{
    private static readonly Actor Operator = new("operator@example.test", null);
    private readonly FakeTimeProvider _time = new(Utc(2027, 3, 1, 12));
    private PortalTestHost _host = default!;
    private CalendarFeed _feed = default!;
    private Guid _window;
    private Guid _blackout;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(addFeatures: b => b.AddWindows(), services: s => s.AddSingleton<TimeProvider>(_time));
        _feed = _host.Services.GetRequiredService<CalendarFeed>();
        Guid web;
        await using (var db = _host.CreateDbContext())
        {
            var group = new HostGroup { Name = "web" };
            db.HostGroups.Add(group);
            await db.SaveChangesAsync();
            web = group.Id;
        }

        _window = (await _host.GetScoped<WindowCatalog>().CreateAsync(
            Input(start: new DateTime(2027, 3, 21, 2, 30, 0), targets: new TargetSet([web], [], []), exclusions: new DateOnly(2027, 4, 11)) with { Name = "Sunday night" },
            Operator, CancellationToken.None)).Id!.Value;
        _blackout = (await _host.GetScoped<BlackoutCatalog>().CreateAsync(
            new BlackoutInput("Freeze", "release", Utc(2027, 3, 26, 23), Utc(2027, 3, 28, 22), true, TargetSet.Empty), Operator, CancellationToken.None)).Id!.Value;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static List<DateTimeOffset> Starts(Calendar calendar, string uid, DateTimeOffset until) =>
        calendar.Events.Single(e => e.Uid == uid)
            .GetOccurrences(new CalDateTime(Utc(2027, 1, 1, 0).UtcDateTime, CalDateTime.UtcTzId))
            .TakeWhile(o => o.Period.StartTime.AsUtc < until.UtcDateTime)
            .Select(o => new DateTimeOffset(DateTime.SpecifyKind(o.Period.StartTime.AsUtc, DateTimeKind.Utc)))
            .ToList();

    [Fact]
    public async Task AllAsync_ExpandsToPortalsOccurrences_WhenParsedByIcalNet()
    {
        var calendar = Calendar.Load(await _feed.AllAsync(CancellationToken.None))!;

        var schedule = new MaintenanceSchedule(NullLogger<MaintenanceSchedule>.Instance);
        await using var db = _host.CreateDbContext();
        var window = await db.MaintenanceWindows.FindAsync(_window);
        var expected = schedule.Occurrences(window!, Utc(2027, 1, 1, 0), Utc(2027, 4, 20, 0)).Select(o => o.Start).ToList();
        Assert.Equal([Utc(2027, 3, 21, 1, 30), Utc(2027, 3, 28, 1, 30), Utc(2027, 4, 4, 0, 30), Utc(2027, 4, 18, 0, 30)], expected);
        Assert.Equal(expected, Starts(calendar, WindowCalendar.Uid(_window), Utc(2027, 4, 20, 0)));
    }

    [Fact]
    public async Task AllAsync_WritesRecurringWindowAsOneEventWithRruleExdateAndZone_WhenWindowRecurs()
    {
        var text = await _feed.AllAsync(CancellationToken.None);
        var calendar = Calendar.Load(text)!;

        var calendarEvent = calendar.Events.Single(e => e.Uid == WindowCalendar.Uid(_window));
        Assert.Equal("FREQ=WEEKLY;BYDAY=SU", calendarEvent.RecurrenceRule?.ToString());
        Assert.Equal("Europe/Berlin", calendarEvent.DtStart?.TzId);
        Assert.Contains("EXDATE;TZID=Europe/Berlin:20270411T023000", text, StringComparison.Ordinal);
        Assert.Equal("Europe/Berlin", Assert.Single(calendar.TimeZones).TzId);
        Assert.Equal("Sunday night", calendarEvent.Summary);
    }

    [Fact]
    public async Task AllAsync_WritesBlackoutInUtc_WhenBlackoutExists()
    {
        var calendar = Calendar.Load(await _feed.AllAsync(CancellationToken.None))!;

        var blackout = calendar.Events.Single(e => e.Uid == $"blackout-{_blackout:N}@patchportal");
        Assert.Equal("Blackout: Freeze", blackout.Summary);
        Assert.Equal(Utc(2027, 3, 26, 23).UtcDateTime, blackout.DtStart!.AsUtc);
        Assert.Equal(Utc(2027, 3, 28, 22).UtcDateTime, blackout.DtEnd!.AsUtc);
    }

    [Fact]
    public async Task AllAsync_KeepsUids_WhenFeedIsFetchedAgain()
    {
        var first = Calendar.Load(await _feed.AllAsync(CancellationToken.None))!.Events.Select(e => e.Uid).Order().ToList();
        var second = Calendar.Load(await _feed.AllAsync(CancellationToken.None))!.Events.Select(e => e.Uid).Order().ToList();

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task WindowAsync_ContainsOnlyThatWindow_WhenAskedForOneWindow()
    {
        var calendar = Calendar.Load((await _feed.WindowAsync(_window, CancellationToken.None))!)!;

        Assert.Equal([WindowCalendar.Uid(_window)], calendar.Events.Select(e => e.Uid));
    }

    [Fact]
    public async Task WindowAsync_ReturnsNull_WhenWindowDoesNotExist()
    {
        Assert.Null(await _feed.WindowAsync(Guid.NewGuid(), CancellationToken.None));
    }
}
