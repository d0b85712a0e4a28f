using System.Globalization;

namespace PatchPortal.Portal.Windows;

/// <summary>How occurrences and spans read on screen: in a named zone, the end's date only when it differs.</summary>
public static class WindowTimes
{
    /// <summary>The zone for an IANA id, UTC when this server does not know it.</summary>
    public static TimeZoneInfo Zone(string? id) =>
        !string.IsNullOrWhiteSpace(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;

    public static string Span(WindowOccurrence occurrence, string zoneId)
    {
        ArgumentNullException.ThrowIfNull(occurrence);
        return Span(occurrence.Start, occurrence.End, Zone(zoneId));
    }

    public static string Span(WindowOccurrence occurrence, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(occurrence);
        return Span(occurrence.Start, occurrence.End, zone);
    }

    /// <summary>"Sun 2027-01-03 02:00 – 04:00 Europe/Berlin" or "Sat 2027-01-02 23:00 – Sun 2027-01-03 02:00 Europe/Berlin".</summary>
    public static string Span(DateTimeOffset start, DateTimeOffset end, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var from = TimeZoneInfo.ConvertTime(start, zone);
        var to = TimeZoneInfo.ConvertTime(end, zone);
        var endText = from.Date == to.Date ? to.ToString("HH:mm", CultureInfo.InvariantCulture) : Moment(to);
        return $"{Moment(from)} – {endText} {zone.Id}";
    }

    /// <summary>"Sun 2027-01-03 02:00 Europe/Berlin".</summary>
    public static string At(DateTimeOffset instant, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return $"{Moment(TimeZoneInfo.ConvertTime(instant, zone))} {zone.Id}";
    }

    /// <summary>
    /// A wall-clock time the viewer typed, as an instant: a time skipped by a spring-forward change moves forward by
    /// the gap and an ambiguous one takes its first instance, as for window starts.
    /// </summary>
    public static DateTimeOffset ToInstant(DateTime local, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (NodaTime.DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone.Id) is { } tz)
        {
            return NodaTime.LocalDateTime.FromDateTime(unspecified).InZoneLeniently(tz).ToDateTimeOffset().ToUniversalTime();
        }

        var offset = zone.IsAmbiguousTime(unspecified) ? zone.GetAmbiguousTimeOffsets(unspecified).Max() : zone.GetUtcOffset(unspecified);
        return new DateTimeOffset(unspecified, offset).ToUniversalTime();
    }

    /// <summary>The value of a datetime-local input ("2027-03-21T02:30", the browser may add seconds), to the minute.</summary>
    public static DateTime? ParseLocal(string? text)
    {
        string[] formats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF"];
        if (!DateTime.TryParseExact(text?.Trim(), formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return null;
        }

        return new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0, DateTimeKind.Unspecified);
    }

    /// <summary>The value for a datetime-local input.</summary>
    public static string FormatLocal(DateTime local) => local.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    private static string Moment(DateTimeOffset local) => local.ToString("ddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
