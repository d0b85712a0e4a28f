using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Windows;

/// <summary>
/// A window as an iCalendar event (DTSTART in the window's zone, DURATION, RRULE, EXDATE): the one shape used both
/// to expand occurrences here and to publish the feed, so subscribers compute the same occurrences as the portal.
/// </summary>
public static class WindowCalendar
{
    public static string Uid(Guid windowId) => $"window-{windowId:N}@patchportal";

    /// <exception cref="ArgumentException">The stored rule or zone cannot be read (validation keeps such windows out).</exception>
    public static CalendarEvent ToEvent(MaintenanceWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var startDate = DateOnly.FromDateTime(window.StartLocal);
        var startTime = StartTime(window);
        var calendarEvent = new CalendarEvent
        {
            Uid = Uid(window.Id),
            Summary = window.Name,
            Description = window.Description,
            DtStart = new CalDateTime(startDate, startTime, window.TimeZoneId),
            Duration = Duration.FromMinutes(window.DurationMinutes),
        };

        var rule = RecurrenceText.Normalize(window.RecurrenceRule);
        if (rule is not null)
        {
            var parsed = RecurrenceText.Parse(rule);
            calendarEvent.RecurrenceRule = parsed.Pattern ?? throw new ArgumentException(parsed.Error, nameof(window));
        }

        // An EXDATE names the occurrence by its rule time; Ical.Net (like calendar clients) resolves it the same
        // way as the occurrence itself, so a skipped 02:30 on a spring-forward day also skips its 03:30 start.
        foreach (var date in window.ExclusionDates.Order())
        {
            calendarEvent.ExceptionDates.Add(new CalDateTime(date, startTime, window.TimeZoneId));
        }

        return calendarEvent;
    }

    /// <summary>The rule's wall-clock start, to the minute (occurrences are compared by their exact start).</summary>
    public static TimeOnly StartTime(MaintenanceWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        return new TimeOnly(window.StartLocal.Hour, window.StartLocal.Minute);
    }
}
