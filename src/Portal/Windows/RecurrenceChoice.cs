using Ical.Net;
using Ical.Net.DataTypes;
using NodaTime;

namespace PatchPortal.Portal.Windows;

public enum RepeatKind
{
    OneOff,
    Daily,
    Weekly,
    Monthly,

    /// <summary>The RRULE typed by hand.</summary>
    Advanced,
}

public enum MonthlyMode
{
    DayOfMonth,
    NthWeekday,
}

public enum RepeatEnd
{
    Never,
    AfterCount,
    OnDate,
}

/// <summary>
/// What the recurrence builder offers (one-off, daily, weekly on chosen days, monthly on a day or the nth weekday,
/// interval, end) turned into an RRULE by Ical.Net, and back: a rule the builder cannot show opens in advanced mode.
/// </summary>
public sealed class RecurrenceChoice
{
    /// <summary>The nth-weekday choices: first to fourth, and last (-1).</summary>
    public static IReadOnlyList<(int Value, string Label)> Ordinals { get; } = [(1, "first"), (2, "second"), (3, "third"), (4, "fourth"), (-1, "last")];

    /// <summary>Monday first, as people read a week.</summary>
    public static IReadOnlyList<DayOfWeek> Week { get; } =
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];

    public RepeatKind Repeat { get; set; } = RepeatKind.Weekly;
    public int Interval { get; set; } = 1;
    public HashSet<DayOfWeek> Weekdays { get; } = [];
    public MonthlyMode MonthlyMode { get; set; }
    public int DayOfMonth { get; set; } = 1;
    public int Ordinal { get; set; } = 1;
    public DayOfWeek OrdinalWeekday { get; set; } = DayOfWeek.Tuesday;
    public RepeatEnd End { get; set; }
    public int Count { get; set; } = 10;

    /// <summary>The last local date (in the window's zone) on which an occurrence may start.</summary>
    public DateOnly? Until { get; set; }

    public string? Advanced { get; set; }

    /// <summary>A builder set up for a new window starting at <paramref name="startLocal"/>: weekly on that weekday.</summary>
    public static RecurrenceChoice For(DateTime startLocal)
    {
        var choice = new RecurrenceChoice { DayOfMonth = startLocal.Day, OrdinalWeekday = startLocal.DayOfWeek, Ordinal = Math.Min(4, ((startLocal.Day - 1) / 7) + 1) };
        choice.Weekdays.Add(startLocal.DayOfWeek);
        return choice;
    }

    /// <summary>The RRULE value (without "RRULE:"), or null for a one-off window.</summary>
    public string? ToRule(string timeZoneId)
    {
        switch (Repeat)
        {
            case RepeatKind.OneOff:
                return null;
            case RepeatKind.Advanced:
                return RecurrenceText.Normalize(Advanced);
        }

        var pattern = new RecurrencePattern(Repeat switch
        {
            RepeatKind.Daily => FrequencyType.Daily,
            RepeatKind.Weekly => FrequencyType.Weekly,
            _ => FrequencyType.Monthly,
        }, Math.Max(1, Interval));

        if (Repeat == RepeatKind.Weekly)
        {
            pattern.ByDay.AddRange(Week.Where(Weekdays.Contains).Select(d => new WeekDay(d)));
        }
        else if (Repeat == RepeatKind.Monthly && MonthlyMode == MonthlyMode.DayOfMonth)
        {
            pattern.ByMonthDay.Add(Math.Clamp(DayOfMonth, 1, 31));
        }
        else if (Repeat == RepeatKind.Monthly)
        {
            pattern.ByDay.Add(new WeekDay(OrdinalWeekday, Ordinal is -1 or (>= 1 and <= 4) ? Ordinal : 1));
        }

        if (End == RepeatEnd.AfterCount)
        {
            pattern.Count = Math.Max(1, Count);
        }
        else if (End == RepeatEnd.OnDate && Until is { } until)
        {
            pattern.Until = new CalDateTime(EndOfDayUtc(until, timeZoneId), CalDateTime.UtcTzId);
        }

        return pattern.ToString();
    }

    /// <summary>The builder's view of a stored rule; anything it cannot reproduce exactly opens as advanced.</summary>
    public static RecurrenceChoice FromRule(string? rule, DateTime startLocal, string timeZoneId)
    {
        var choice = For(startLocal);
        var text = RecurrenceText.Normalize(rule);
        if (text is null)
        {
            choice.Repeat = RepeatKind.OneOff;
            return choice;
        }

        choice.Repeat = RepeatKind.Advanced;
        choice.Advanced = text;
        if (RecurrenceText.Parse(text).Pattern is not { } pattern)
        {
            return choice;
        }

        var candidate = For(startLocal);
        candidate.Interval = pattern.Interval;
        candidate.Repeat = pattern.Frequency switch
        {
            FrequencyType.Daily => RepeatKind.Daily,
            FrequencyType.Weekly => RepeatKind.Weekly,
            FrequencyType.Monthly => RepeatKind.Monthly,
            _ => RepeatKind.Advanced,
        };
        if (candidate.Repeat == RepeatKind.Weekly && pattern.ByDay.Count > 0)
        {
            candidate.Weekdays.Clear();
            candidate.Weekdays.UnionWith(pattern.ByDay.Select(d => d.DayOfWeek));
        }

        if (candidate.Repeat == RepeatKind.Monthly && pattern.ByMonthDay.Count == 1)
        {
            candidate.MonthlyMode = MonthlyMode.DayOfMonth;
            candidate.DayOfMonth = pattern.ByMonthDay[0];
        }
        else if (candidate.Repeat == RepeatKind.Monthly && pattern.ByDay is [{ Offset: { } offset } day])
        {
            candidate.MonthlyMode = MonthlyMode.NthWeekday;
            candidate.Ordinal = offset;
            candidate.OrdinalWeekday = day.DayOfWeek;
        }

        if (pattern.Count is { } count)
        {
            candidate.End = RepeatEnd.AfterCount;
            candidate.Count = count;
        }
        else if (pattern.Until is { } until)
        {
            candidate.End = RepeatEnd.OnDate;
            candidate.Until = LocalDate(until, timeZoneId);
        }

        // Round trip: only a rule the builder writes back unchanged may be edited in the builder.
        return candidate.Repeat != RepeatKind.Advanced && string.Equals(candidate.ToRule(timeZoneId), pattern.ToString(), StringComparison.Ordinal)
            ? candidate
            : choice;
    }

    /// <summary>"Weekly on Sun", "Monthly on the second Tuesday, 6 times", or the raw rule when the builder cannot say it.</summary>
    public static string Describe(string? rule, DateTime startLocal, string timeZoneId)
    {
        var choice = FromRule(rule, startLocal, timeZoneId);
        var every = choice.Interval > 1;
        var text = choice.Repeat switch
        {
            RepeatKind.OneOff => "Once",
            RepeatKind.Daily => every ? $"Every {choice.Interval} days" : "Daily",
            RepeatKind.Weekly => (every ? $"Every {choice.Interval} weeks" : "Weekly") + " on "
                + string.Join(", ", Week.Where(choice.Weekdays.Contains).Select(d => d.ToString()[..3])),
            RepeatKind.Monthly => (every ? $"Every {choice.Interval} months" : "Monthly") + (choice.MonthlyMode == MonthlyMode.DayOfMonth
                ? $" on day {choice.DayOfMonth}"
                : $" on the {Ordinals.FirstOrDefault(o => o.Value == choice.Ordinal).Label} {choice.OrdinalWeekday}"),
            _ => "RRULE " + choice.Advanced,
        };
        if (choice.Repeat == RepeatKind.Advanced)
        {
            return text;
        }

        return choice.End switch
        {
            RepeatEnd.AfterCount => $"{text}, {choice.Count} times",
            RepeatEnd.OnDate when choice.Until is { } until => $"{text}, until {until:yyyy-MM-dd}",
            _ => text,
        };
    }

    private static DateTime EndOfDayUtc(DateOnly date, string timeZoneId)
    {
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZoneId) ?? DateTimeZone.Utc;
        var local = new LocalDateTime(date.Year, date.Month, date.Day, 23, 59, 59);
        return local.InZoneLeniently(zone).ToDateTimeUtc();
    }

    private static DateOnly LocalDate(CalDateTime until, string timeZoneId)
    {
        if (!until.HasTime || !until.IsUtc)
        {
            return until.Date;
        }

        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZoneId) ?? DateTimeZone.Utc;
        var local = Instant.FromDateTimeUtc(DateTime.SpecifyKind(until.Value, DateTimeKind.Utc)).InZone(zone).Date;
        return new DateOnly(local.Year, local.Month, local.Day);
    }
}
