using System.Globalization;
using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>The calendar at /calendar (month and week views) and its dialogs.</summary>
public sealed class CalendarPage(IPage page) : ShellPage(page)
{
    public ILocator Title => Page.GetByTestId("calendar-title");

    public ILocator MonthView => Page.GetByTestId("month-view");

    public ILocator WeekView => Page.GetByTestId("week-view");

    public ILocator OccurrenceDialog => Page.GetByRole(AriaRole.Dialog);

    public static async Task<CalendarPage> OpenAsync(IPage page, DateOnly date, string view = "month")
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync($"/calendar?view={view}&date={Iso(date)}");
        var calendar = new CalendarPage(page);
        await calendar.WaitUntilReadyAsync();
        await Assertions.Expect(calendar.Heading).ToHaveTextAsync("Calendar");
        await Assertions.Expect(calendar.Title).ToBeVisibleAsync();
        return calendar;
    }

    /// <summary>The cell of a day (in the viewer's zone) in whichever view is shown.</summary>
    public ILocator Day(DateOnly date) => Page.Locator($"td[data-date='{Iso(date)}']");

    /// <summary>The entries (occurrences and blackouts) of a day, in the order shown.</summary>
    public ILocator Entries(DateOnly date) => Day(date).GetByRole(AriaRole.Button);

    public ILocator Occurrence(DateOnly date, string window) => Day(date).GetByTestId("calendar-occurrence").Filter(new() { HasText = window });

    public ILocator Blackout(DateOnly date, string name) => Day(date).GetByRole(AriaRole.Button, new() { Name = $"Blackout {name}", Exact = true });

    public ILocator Tooltip => Page.Locator(".mud-tooltip").Filter(new() { HasNotText = "" });

    public Task ShowWeekAsync() => Page.GetByRole(AriaRole.Button, new() { Name = "Week", Exact = true }).ClickAsync();

    public Task ShowMonthAsync() => Page.GetByRole(AriaRole.Button, new() { Name = "Month", Exact = true }).ClickAsync();

    /// <summary>Opens the Subscribe dialog, creates the feed token on first use, and returns the whole-calendar URL shown.</summary>
    public async Task<string> CreateFeedUrlAsync()
    {
        await Page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "Subscribe to the calendar" });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create feed URL" }).ClickAsync();
        var field = dialog.GetByLabel("Whole calendar (windows and blackouts)");
        await Assertions.Expect(field).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("/calendar/feed/.+/calendar\\.ics$"));
        return await field.InputValueAsync();
    }

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
