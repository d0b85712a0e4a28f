using System.Globalization;
using Ical.Net.DataTypes;
using Ical.Net.Evaluation;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Windows;

/// <summary>
/// Expands windows with Ical.Net in their own IANA zone: the rule keeps its wall-clock start across daylight-saving
/// changes, a start that falls into a spring-forward gap moves forward by the gap (and says so), and an ambiguous
/// fall-back time takes its first instance.
/// </summary>
public sealed class MaintenanceSchedule(ILogger<MaintenanceSchedule> logger) : IMaintenanceSchedule
{
    // Without a limit Ical.Net searches forever for a rule that never matches (BYMONTHDAY=30;BYMONTH=2).
    private static readonly EvaluationOptions Evaluation = new() { MaxUnmatchedIncrementsLimit = 1000 };

    public IReadOnlyList<WindowOccurrence> Occurrences(MaintenanceWindow window, DateTimeOffset rangeStart, DateTimeOffset rangeEnd)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (rangeEnd <= rangeStart)
        {
            return [];
        }

        return Expand(window, rangeStart - TimeSpan.FromMinutes(window.DurationMinutes))
            .TakeWhile(o => o.Start < rangeEnd)
            .Where(o => o.End > rangeStart)
            .ToList();
    }

    public WindowOccurrence? NextOccurrence(MaintenanceWindow window, DateTimeOffset after)
    {
        ArgumentNullException.ThrowIfNull(window);
        return Expand(window, after - TimeSpan.FromMinutes(window.DurationMinutes)).FirstOrDefault(o => o.End > after);
    }

    public WindowOccurrence? OccurrenceStartingAt(MaintenanceWindow window, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(window);
        return Expand(window, start - TimeSpan.FromMinutes(window.DurationMinutes))
            .TakeWhile(o => o.Start <= start)
            .FirstOrDefault(o => o.Start == start);
    }

    /// <summary>Occurrences of an enabled window from about <paramref name="from"/> on, ordered, lazily (rules may be endless).</summary>
    private IEnumerable<WindowOccurrence> Expand(MaintenanceWindow window, DateTimeOffset from)
    {
        return window.Enabled ? Enumerate(window, from) : [];
    }

    /// <summary>All occurrences regardless of <see cref="MaintenanceWindow.Enabled"/>, for validating a window being edited.</summary>
    internal static IEnumerable<WindowOccurrence> ExpandRule(MaintenanceWindow window, DateTimeOffset? from)
    {
        var calendarEvent = WindowCalendar.ToEvent(window);
        var ruleTime = WindowCalendar.StartTime(window);
        var duration = TimeSpan.FromMinutes(window.DurationMinutes);
        var cutoff = TimeSpan.FromMinutes(window.CutoffMinutes);
        var start = from is { } f ? new CalDateTime(f.UtcDateTime, CalDateTime.UtcTzId) : null;
        foreach (var occurrence in calendarEvent.GetOccurrences(start, Evaluation))
        {
            var startTime = occurrence.Period.StartTime;
            var utc = new DateTimeOffset(DateTime.SpecifyKind(startTime.AsUtc, DateTimeKind.Utc));
            yield return new WindowOccurrence(
                window.Id,
                window.Name,
                window.TimeZoneId,
                utc,
                utc + duration,
                utc + duration - cutoff,
                Adjustment(window, ruleTime, utc));
        }
    }

    private IEnumerable<WindowOccurrence> Enumerate(MaintenanceWindow window, DateTimeOffset from)
    {
        using var occurrences = ExpandRule(window, from).GetEnumerator();
        while (true)
        {
            WindowOccurrence current;
            try
            {
                if (!occurrences.MoveNext())
                {
                    yield break;
                }

                current = occurrences.Current;
            }
            catch (Exception e) when (e is EvaluationException or ArgumentException)
            {
                // Validation keeps such rules out; a row edited by hand must not take the calendar or a run down.
                WindowsLog.CannotExpand(logger, window.Id, window.Name, e.Message);
                yield break;
            }

            yield return current;
        }
    }

    // Ical.Net keeps the nominal wall-clock time on DTSTART itself, so the real local start is read from the instant.
    private static string? Adjustment(MaintenanceWindow window, TimeOnly ruleTime, DateTimeOffset start)
    {
        if (NodaTime.DateTimeZoneProviders.Tzdb.GetZoneOrNull(window.TimeZoneId) is not { } zone)
        {
            return null;
        }

        var local = NodaTime.Instant.FromDateTimeOffset(start).InZone(zone);
        var actual = new TimeOnly(local.Hour, local.Minute);
        if (actual == ruleTime)
        {
            return null;
        }

        var date = new DateOnly(local.Year, local.Month, local.Day);
        return string.Create(CultureInfo.InvariantCulture,
            $"{ruleTime:HH\\:mm} does not exist on {date:yyyy-MM-dd} in {window.TimeZoneId}; starts {actual:HH\\:mm}");
    }
}
