using System.Globalization;

namespace PatchPortal.Portal.Windows;

public enum CalendarView
{
    Month,
    Week,
}

/// <summary>One day cell: its local date and the instants its local midnight-to-midnight span covers.</summary>
public sealed record CalendarDay(DateOnly Date, bool InFocus, DateTimeOffset From, DateTimeOffset To);

/// <summary>
/// The days a month view (six Monday-first weeks around the month) or a week view shows in the viewer's zone, with the
/// instants they cover; a day shortened or lengthened by a daylight-saving change covers exactly its 23 or 25 hours.
/// </summary>
public sealed record CalendarGrid(CalendarView View, DateOnly Anchor, string Title, IReadOnlyList<CalendarDay> Days)
{
    public DateTimeOffset From => Days[0].From;

    public DateTimeOffset To => Days[^1].To;

    public static CalendarGrid Build(CalendarView view, DateOnly anchor, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        DateOnly first;
        int count;
        string title;
        if (view == CalendarView.Month)
        {
            var monthStart = new DateOnly(anchor.Year, anchor.Month, 1);
            first = MondayOnOrBefore(monthStart);
            count = 42;
            title = monthStart.ToString("MMMM yyyy", CultureInfo.InvariantCulture);
        }
        else
        {
            first = MondayOnOrBefore(anchor);
            count = 7;
            title = string.Create(CultureInfo.InvariantCulture, $"Week of {first:yyyy-MM-dd} – {first.AddDays(6):yyyy-MM-dd}");
        }

        var days = Enumerable.Range(0, count).Select(i =>
        {
            var date = first.AddDays(i);
            var inFocus = view == CalendarView.Week || date.Month == anchor.Month;
            return new CalendarDay(date, inFocus, Midnight(date, zone), Midnight(date.AddDays(1), zone));
        }).ToList();
        return new CalendarGrid(view, anchor, title, days);
    }

    public DateOnly Previous() => View == CalendarView.Month ? FirstOfMonth(Anchor).AddMonths(-1) : Anchor.AddDays(-7);

    public DateOnly Next() => View == CalendarView.Month ? FirstOfMonth(Anchor).AddMonths(1) : Anchor.AddDays(7);

    private static DateOnly FirstOfMonth(DateOnly date) => new(date.Year, date.Month, 1);

    private static DateOnly MondayOnOrBefore(DateOnly date) => date.AddDays(-(((int)date.DayOfWeek + 6) % 7));

    private static DateTimeOffset Midnight(DateOnly date, TimeZoneInfo zone) => WindowTimes.ToInstant(date.ToDateTime(TimeOnly.MinValue), zone);
}
