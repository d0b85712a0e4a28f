using System.Globalization;
using System.Net;
using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Windows;

/// <summary>
/// Maintenance windows through the real portal: the form with its recurrence builder and preview, the calendar's month
/// and week views with a blackout over the window, the occurrence's hosts, and the iCalendar feed a calendar app reads.
/// The browser is in Europe/Berlin; the window lives in America/New_York, so zone conversion is visible.
/// </summary>
[Collection(PortalTests.Name)]
public sealed class WindowCalendarTests(PortalFixture fixture)
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly TimeZoneInfo Viewer = TimeZoneInfo.FindSystemTimeZoneById(PortalFixture.BrowserTimeZone);

    /// <summary>A Sunday at least two weeks ahead, so the window has future occurrences whatever day the tests run.</summary>
    private static DateOnly FutureSunday(int weeksAhead = 2)
    {
        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(7 * weeksAhead);
        while (day.DayOfWeek != DayOfWeek.Sunday)
        {
            day = day.AddDays(1);
        }

        return day;
    }

    /// <summary>20:00 on <paramref name="sunday"/> in New York, as the viewer (Berlin) sees it.</summary>
    private static DateTime ViewerTime(DateOnly sunday, int hour) =>
        TimeZoneInfo.ConvertTime(TimeZoneInfo.ConvertTimeToUtc(sunday.ToDateTime(new TimeOnly(hour, 0)), NewYork), TimeZoneInfo.Utc, Viewer);

    private static string Hhmm(DateTime time) => time.ToString("HH:mm", CultureInfo.InvariantCulture);

    private async Task<IBrowserContext> NewOperatorContextAsync(string email)
    {
        await using var admin = await fixture.NewAdminContextAsync();
        var page = await admin.NewPageAsync();
        string password = "";
        await TestStep.RunAsync(page, $"create-{email}", async () => password = await (await UsersPage.OpenAsync(page)).CreateUserAsync(email, "Operator"));
        return await fixture.NewContextAsAsync(email, password);
    }

    /// <summary>Creates a group with one host in it (as admin) for windows to target.</summary>
    private async Task SeedGroupWithHostAsync(string group, string host, string address)
    {
        await using var admin = await fixture.NewAdminContextAsync();
        var page = await admin.NewPageAsync();
        await TestStep.RunAsync(page, $"seed-{group}", async () =>
        {
            await (await GroupsPage.OpenAsync(page)).CreateGroupAsync(group);
            await (await HostsPage.OpenAsync(page)).AddHostAsync(host, address, group: group);
        });
    }

    /// <summary>A weekly window on Sunday and Wednesday at 20:00 New York time, created through the builder.</summary>
    private static async Task CreateWeeklyWindowAsync(IPage page, string name, DateOnly sunday, string group)
    {
        var form = await WindowFormPage.OpenNewAsync(page);
        await form.FillNameAsync(name);
        await form.SetTimeZoneAsync("America/New_York");
        await form.SetStartAsync(sunday.ToDateTime(new TimeOnly(20, 0)));
        await form.SetDurationAsync(120);
        await form.SetCutoffAsync(30);
        await form.SetRepeatsAsync("Weekly");
        await form.SetWeekdayAsync("Sunday", true);
        await form.SetWeekdayAsync("Wednesday", true);
        await form.ChooseGroupAsync(group);

        await Assertions.Expect(form.Rule).ToHaveTextAsync("RRULE:FREQ=WEEKLY;BYDAY=WE,SU");
        var first = $"{sunday.ToDateTime(TimeOnly.MinValue).ToString("ddd yyyy-MM-dd", CultureInfo.InvariantCulture)} 20:00 – 22:00 America/New_York";
        await Assertions.Expect(form.PreviewOccurrences.First).ToHaveTextAsync(first);
        await Assertions.Expect(form.PreviewOccurrences.Nth(1)).ToContainTextAsync($"{sunday.AddDays(3).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} 20:00");

        await form.SaveAsync();
        var windows = new WindowsPage(page);
        await Assertions.Expect(windows.Heading).ToHaveTextAsync("Windows");
        await Assertions.Expect(windows.Row(name)).ToBeVisibleAsync();
    }

    [Fact]
    public async Task WeeklyWindow_AppearsOnMonthAndWeekViewsUnderBlackoutWithItsHosts_WhenCreatedWithBuilder()
    {
        await SeedGroupWithHostAsync("e2e-win-web", "winhost01", "10.40.0.1");
        await using var context = await NewOperatorContextAsync("op-windows@e2e.test");
        var page = await context.NewPageAsync();
        var sunday = FutureSunday();
        var start = ViewerTime(sunday, 20);
        var day = DateOnly.FromDateTime(start);
        var label = $"{Hhmm(start)} e2e-win-weekly";

        await TestStep.RunAsync(page, "windows-create-weekly", () => CreateWeeklyWindowAsync(page, "e2e-win-weekly", sunday, "e2e-win-web"));

        await TestStep.RunAsync(page, "windows-month-view", async () =>
        {
            var calendar = await CalendarPage.OpenAsync(page, day);
            await Assertions.Expect(calendar.MonthView).ToBeVisibleAsync();
            await Assertions.Expect(calendar.Occurrence(day, "e2e-win-weekly")).ToHaveTextAsync(label);
            await Assertions.Expect(calendar.Occurrence(day.AddDays(3), "e2e-win-weekly")).ToHaveTextAsync(label);
            await Assertions.Expect(page.GetByTestId("calendar-zone")).ToContainTextAsync(PortalFixture.BrowserTimeZone);
        });

        await TestStep.RunAsync(page, "windows-tooltip-window-zone", async () =>
        {
            var calendar = new CalendarPage(page);
            await calendar.Occurrence(day, "e2e-win-weekly").HoverAsync();
            await Assertions.Expect(page.GetByText($"e2e-win-weekly: {sunday.ToDateTime(TimeOnly.MinValue).ToString("ddd yyyy-MM-dd", CultureInfo.InvariantCulture)} 20:00 – 22:00 America/New_York"))
                .ToBeVisibleAsync();
        });

        await TestStep.RunAsync(page, "windows-week-view", async () =>
        {
            var calendar = new CalendarPage(page);
            await calendar.ShowWeekAsync();
            await Assertions.Expect(calendar.WeekView).ToBeVisibleAsync();
            await Assertions.Expect(calendar.Day(day)).ToContainTextAsync($"{Hhmm(start)}–{Hhmm(start.AddHours(2))}");
            await Assertions.Expect(calendar.Occurrence(day, "e2e-win-weekly")).ToBeVisibleAsync();
        });

        await TestStep.RunAsync(page, "windows-blackout-over-window", async () =>
        {
            var windows = await WindowsPage.OpenAsync(page);
            await windows.CreateBlackoutAsync("e2e-win-freeze", day.ToDateTime(TimeOnly.MinValue), day.AddDays(1).ToDateTime(TimeOnly.MinValue), "e2e-win-web");

            var calendar = await CalendarPage.OpenAsync(page, day);
            var entries = calendar.Entries(day);
            await Assertions.Expect(entries.First).ToHaveAttributeAsync("aria-label", "Blackout e2e-win-freeze");
            await Assertions.Expect(calendar.Blackout(day, "e2e-win-freeze")).ToContainTextAsync("Blackout");
            await Assertions.Expect(calendar.Occurrence(day, "e2e-win-weekly")).ToBeVisibleAsync();
            await Assertions.Expect(calendar.Blackout(day.AddDays(3), "e2e-win-freeze")).ToHaveCountAsync(0);
        });

        await TestStep.RunAsync(page, "windows-occurrence-hosts", async () =>
        {
            var calendar = new CalendarPage(page);
            await calendar.Occurrence(day, "e2e-win-weekly").ClickAsync();
            var dialog = calendar.OccurrenceDialog;
            await Assertions.Expect(dialog.GetByRole(AriaRole.Link, new() { Name = "winhost01", Exact = true })).ToBeVisibleAsync();
            await Assertions.Expect(dialog.GetByText("Hosts (1)")).ToBeVisibleAsync();
            await Assertions.Expect(dialog.GetByText("Blackout e2e-win-freeze", new() { Exact = false })).ToBeVisibleAsync();
            await Assertions.Expect(dialog.GetByTestId("occurrence-window-zone")).ToContainTextAsync("20:00 – 22:00 America/New_York");
        });
    }

    [Fact]
    public async Task FeedUrl_ReturnsCalendarWithWindowRule_WhenCopiedFromCalendarPage()
    {
        await SeedGroupWithHostAsync("e2e-win-feed", "winhost02", "10.40.0.2");
        await using var context = await NewOperatorContextAsync("op-feed@e2e.test");
        var page = await context.NewPageAsync();
        var sunday = FutureSunday(3);
        await TestStep.RunAsync(page, "feed-create-window", () => CreateWeeklyWindowAsync(page, "e2e-win-feedwindow", sunday, "e2e-win-feed"));

        var url = "";
        await TestStep.RunAsync(page, "feed-subscribe", async () =>
        {
            var calendar = await CalendarPage.OpenAsync(page, sunday);
            url = await calendar.CreateFeedUrlAsync();
        });

        // A calendar application: no cookies, only the URL.
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false });
        using var response = await http.GetAsync(new Uri(url));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/calendar", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        var calendarFile = Ical.Net.Calendar.Load(await response.Content.ReadAsStringAsync())!;
        var calendarEvent = calendarFile.Events.Single(e => e.Summary == "e2e-win-feedwindow");
        Assert.Equal("FREQ=WEEKLY;BYDAY=WE,SU", calendarEvent.RecurrenceRule?.ToString());
        Assert.Equal("America/New_York", calendarEvent.DtStart?.TzId);
        Assert.Contains(calendarFile.TimeZones, z => z.TzId == "America/New_York");
        var first = calendarEvent.GetOccurrences().First().Period.StartTime.AsUtc;
        Assert.Equal(TimeZoneInfo.ConvertTimeToUtc(sunday.ToDateTime(new TimeOnly(20, 0)), NewYork), first);

        var wrong = url.Replace("/calendar/feed/", "/calendar/feed/x", StringComparison.Ordinal);
        using var refused = await http.GetAsync(new Uri(wrong));
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task WindowForm_ShowsEachMessageAndSavesNothing_WhenInputIsInvalid()
    {
        await using var context = await NewOperatorContextAsync("op-invalid@e2e.test");
        var page = await context.NewPageAsync();
        var sunday = FutureSunday();

        await TestStep.RunAsync(page, "invalid-window", async () =>
        {
            var form = await WindowFormPage.OpenNewAsync(page);
            await form.FillNameAsync("e2e-win-invalid");
            await form.SetStartAsync(sunday.ToDateTime(new TimeOnly(2, 0)));
            await form.SetDurationAsync(60);
            await form.SetCutoffAsync(60);
            await form.SetRepeatsAsync("Advanced (RRULE)");
            await form.SetAdvancedRuleAsync("FREQ=WEEKLY;BYDAY=XX");

            await form.SaveAsync();

            await Assertions.Expect(page.GetByText("The recurrence rule is not valid: XX is not a valid iCal day-of-week indicator.").First).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("The cutoff (1 h) must be shorter than the duration (1 h), or no host could ever start.").First).ToBeVisibleAsync();
            await Assertions.Expect(form.TargetsError).ToHaveTextAsync("Choose at least one group, tag or host: a window without targets patches nothing.");
            await Assertions.Expect(form.Heading).ToHaveTextAsync("New window");
        });

        await TestStep.RunAsync(page, "invalid-window-not-saved", async () =>
        {
            var windows = await WindowsPage.OpenAsync(page);
            await Assertions.Expect(page.GetByText("No maintenance windows.").Or(page.Locator("tbody tr")).First).ToBeVisibleAsync();
            await Assertions.Expect(windows.Row("e2e-win-invalid")).ToHaveCountAsync(0);
        });
    }
}
