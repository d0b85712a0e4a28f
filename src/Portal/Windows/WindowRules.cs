using System.Globalization;
using Ical.Net;
using Ical.Net.DataTypes;
using Ical.Net.Evaluation;
using NodaTime;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Windows;

/// <summary>
/// The rules a maintenance window must satisfy, each refusal with a sentence that says what to change. Shared by the
/// window service (which refuses to save) and the window form (which shows the messages next to the fields).
/// </summary>
public static class WindowRules
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 1000;

    /// <summary>Four weeks: longer spans are freezes, which are blackouts, not windows.</summary>
    public const int MaxDurationMinutes = 28 * 24 * 60;

    public const string TargetsField = "Targets";

    // Enough occurrences to cover a year of a daily rule, both daylight-saving changes included.
    private const int GapSample = 400;

    public static bool IsKnownTimeZone(string? id) =>
        !string.IsNullOrWhiteSpace(id) && DateTimeZoneProviders.Tzdb.GetZoneOrNull(id) is not null;

    /// <summary>The IANA zones a window may use, for pickers.</summary>
    public static IReadOnlyList<string> TimeZoneIds { get; } = DateTimeZoneProviders.Tzdb.Ids.Order(StringComparer.Ordinal).ToList();

    /// <summary>Every rule the input breaks (empty when it may be saved), in the order of the form's fields.</summary>
    public static IReadOnlyList<RuleViolation> Validate(WindowInput input, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(input);
        var violations = new List<RuleViolation>();
        void Refuse(string field, string message) => violations.Add(new(field, message));

        if (ValidateName(input.Name) is { } name)
        {
            Refuse(nameof(WindowInput.Name), name);
        }

        if (input.Description is { Length: > MaxDescriptionLength })
        {
            Refuse(nameof(WindowInput.Description), $"A description has at most {MaxDescriptionLength} characters.");
        }

        var zoneKnown = IsKnownTimeZone(input.TimeZoneId);
        if (!zoneKnown)
        {
            Refuse(nameof(WindowInput.TimeZoneId), string.IsNullOrWhiteSpace(input.TimeZoneId)
                ? "Choose a time zone."
                : $"'{input.TimeZoneId}' is not a known IANA time zone (for example Europe/Berlin or America/New_York).");
        }

        var durationValid = input.DurationMinutes is > 0 and <= MaxDurationMinutes;
        if (!durationValid)
        {
            Refuse(nameof(WindowInput.DurationMinutes), input.DurationMinutes <= 0
                ? "The duration must be at least one minute."
                : $"A window lasts at most {MaxDurationMinutes / (24 * 60)} days; use a blackout for a longer freeze.");
        }

        if (input.CutoffMinutes < 0)
        {
            Refuse(nameof(WindowInput.CutoffMinutes), "The cutoff cannot be negative.");
        }
        else if (durationValid && input.CutoffMinutes >= input.DurationMinutes)
        {
            Refuse(nameof(WindowInput.CutoffMinutes),
                $"The cutoff ({Minutes(input.CutoffMinutes)}) must be shorter than the duration ({Minutes(input.DurationMinutes)}), or no host could ever start.");
        }

        var ruleText = RecurrenceText.Normalize(input.RecurrenceRule);
        RecurrencePattern? pattern = null;
        var ruleValid = true;
        if (ruleText is not null && ValidateRule(ruleText, out pattern) is { } ruleError)
        {
            Refuse(nameof(WindowInput.RecurrenceRule), ruleError);
            ruleValid = false;
        }

        if (input.Targets is null || input.Targets.IsEmpty)
        {
            Refuse(TargetsField, "Choose at least one group, tag or host: a window without targets patches nothing.");
        }

        if (zoneKnown && durationValid && ruleValid)
        {
            var window = input.ToWindow();
            window.Enabled = true;
            if (pattern is not null && ShortestGap(window) is { } gap && TimeSpan.FromMinutes(input.DurationMinutes) > gap.Length)
            {
                Refuse(nameof(WindowInput.DurationMinutes), string.Create(CultureInfo.InvariantCulture,
                    $"The duration ({Minutes(input.DurationMinutes)}) is longer than the time between two occurrences ({Minutes((int)gap.Length.TotalMinutes)}, from {LocalDate(gap.After, input.TimeZoneId):yyyy-MM-dd}): occurrences would overlap."));
            }
            else if (FirstNotEnded(window, now) is null)
            {
                Refuse(pattern is null ? nameof(WindowInput.StartLocal) : nameof(WindowInput.RecurrenceRule), NoFutureOccurrence(pattern, input.ExclusionDates.Count > 0));
            }
        }

        return violations;
    }

    public static string? ValidateName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "Enter a name.";
        }

        return name.Trim().Length > MaxNameLength ? $"A name has at most {MaxNameLength} characters." : null;
    }

    /// <summary>Why an RRULE cannot be used for a window, or null when it can; <paramref name="pattern"/> is the parsed rule.</summary>
    public static string? ValidateRule(string text, out RecurrencePattern? pattern)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parsed = RecurrenceText.Parse(text);
        pattern = parsed.Pattern;
        if (pattern is null)
        {
            return parsed.Error;
        }

        if (!RecurrenceText.IsSupported(pattern.Frequency))
        {
            return $"FREQ={pattern.Frequency.ToString().ToUpperInvariant()} is not offered: a window repeats daily, weekly, monthly or yearly.";
        }

        if (pattern.ByHour.Count > 0 || pattern.ByMinute.Count > 0 || pattern.BySecond.Count > 0)
        {
            return "Remove BYHOUR, BYMINUTE and BYSECOND: the time of day comes from the window's start.";
        }

        if (pattern.Frequency is FrequencyType.Daily or FrequencyType.Weekly && pattern.ByDay.Any(d => d.Offset is not null))
        {
            return $"A numbered weekday such as BYDAY=2TU needs FREQ=MONTHLY or FREQ=YEARLY, not FREQ={pattern.Frequency.ToString().ToUpperInvariant()}.";
        }

        // A rule that never matches (BYMONTHDAY=30;BYMONTH=2) only shows itself when expanded.
        var probe = new Ical.Net.CalendarComponents.CalendarEvent
        {
            DtStart = new CalDateTime(2030, 1, 1, 12, 0, 0, CalDateTime.UtcTzId),
            Duration = Ical.Net.DataTypes.Duration.FromMinutes(1),
            RecurrenceRule = new RecurrencePattern(text),
        };
        probe.RecurrenceRule.Count = null;
        probe.RecurrenceRule.Until = null;
        try
        {
            _ = probe.GetOccurrences(null, new EvaluationOptions { MaxUnmatchedIncrementsLimit = 1000 }).Take(2).ToList();
        }
        catch (EvaluationException)
        {
            return "The recurrence rule never produces an occurrence (check day numbers such as BYMONTHDAY against BYMONTH).";
        }

        return null;
    }

    /// <summary>The shortest time between the starts of two consecutive occurrences (exclusions ignored), or null for one occurrence.</summary>
    internal static (TimeSpan Length, DateTimeOffset After)? ShortestGap(MaintenanceWindow window)
    {
        var rule = new MaintenanceWindow
        {
            Id = window.Id,
            Name = window.Name,
            TimeZoneId = window.TimeZoneId,
            StartLocal = window.StartLocal,
            DurationMinutes = window.DurationMinutes,
            CutoffMinutes = window.CutoffMinutes,
            RecurrenceRule = window.RecurrenceRule,
        };
        (TimeSpan, DateTimeOffset)? shortest = null;
        DateTimeOffset? previous = null;
        foreach (var occurrence in MaintenanceSchedule.ExpandRule(rule, from: null).Take(GapSample))
        {
            if (previous is { } p && (shortest is null || occurrence.Start - p < shortest.Value.Item1))
            {
                shortest = (occurrence.Start - p, p);
            }

            previous = occurrence.Start;
        }

        return shortest;
    }

    private static WindowOccurrence? FirstNotEnded(MaintenanceWindow window, DateTimeOffset now)
    {
        try
        {
            return MaintenanceSchedule.ExpandRule(window, now - TimeSpan.FromMinutes(window.DurationMinutes)).FirstOrDefault(o => o.End > now);
        }
        catch (EvaluationException)
        {
            return null;
        }
    }

    private static string NoFutureOccurrence(RecurrencePattern? pattern, bool hasExclusions)
    {
        var excluded = hasExclusions ? " or is excluded" : "";
        if (pattern is null)
        {
            return $"This one-off window has already ended{excluded}: choose a start in the future.";
        }

        if (pattern.Count is { } count)
        {
            return $"All {count} occurrences (COUNT={count}) have ended{excluded}: the window has no future occurrence.";
        }

        if (pattern.Until is { } until)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"The rule ends on {until.Date:yyyy-MM-dd} (UNTIL) and every occurrence before it has ended{excluded}: the window has no future occurrence.");
        }

        return "The window has no future occurrence.";
    }

    private static DateOnly LocalDate(DateTimeOffset instant, string zone) =>
        DateOnly.FromDateTime(Instant.FromDateTimeOffset(instant).InZone(DateTimeZoneProviders.Tzdb[zone]).LocalDateTime.ToDateTimeUnspecified());

    /// <summary>"90 minutes", "2 h", "1 h 30 min".</summary>
    public static string Minutes(int minutes)
    {
        if (minutes < 60)
        {
            return minutes == 1 ? "1 minute" : $"{minutes} minutes";
        }

        var hours = minutes / 60;
        var rest = minutes % 60;
        return rest == 0 ? $"{hours} h" : $"{hours} h {rest} min";
    }
}
