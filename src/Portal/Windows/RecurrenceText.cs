using Ical.Net;
using Ical.Net.DataTypes;

namespace PatchPortal.Portal.Windows;

/// <summary>The outcome of reading an RRULE: the pattern, or a sentence saying what is wrong with the text.</summary>
public sealed record ParsedRule(RecurrencePattern? Pattern, string? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>Reads an RRULE value through Ical.Net and turns its exceptions into messages a person can act on.</summary>
public static class RecurrenceText
{
    /// <summary>Accepts "FREQ=WEEKLY;BYDAY=SU" or the same with an "RRULE:" prefix; blank means a one-off window.</summary>
    public static string? Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var trimmed = text.Trim();
        return trimmed.StartsWith("RRULE:", StringComparison.OrdinalIgnoreCase) ? trimmed[6..].Trim() : trimmed;
    }

    public static ParsedRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        RecurrencePattern pattern;
        try
        {
            pattern = new RecurrencePattern(text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return new(null, $"The recurrence rule is not valid: {Explain(e)}");
        }

        // Ical.Net drops an UNTIL it cannot read instead of refusing it; an ignored end would make the window endless.
        if (pattern.Until is null && HasPart(text, "UNTIL"))
        {
            return new(null, "The recurrence rule is not valid: UNTIL must be a date (20270131) or a UTC date and time (20270131T235959Z).");
        }

        return new(pattern, null);
    }

    private static bool HasPart(string text, string name) =>
        text.Split(';').Any(p => p.Split('=')[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase));

    private static string Explain(Exception e)
    {
        // ArgumentException appends " (Parameter 'x')" to its message; that part is for programmers.
        var message = e is ArgumentException argument && argument.ParamName is not null
            ? e.Message.Replace($" (Parameter '{argument.ParamName}')", "", StringComparison.Ordinal)
            : e.Message;
        if (e is FormatException)
        {
            message = "a number is expected where it says " + message.Replace("The input string ", "", StringComparison.Ordinal)
                .Replace(" was not in a correct format.", "", StringComparison.Ordinal);
        }

        return message.TrimEnd('.') + ".";
    }

    /// <summary>True for the frequencies a maintenance window may use.</summary>
    public static bool IsSupported(FrequencyType frequency) =>
        frequency is FrequencyType.Daily or FrequencyType.Weekly or FrequencyType.Monthly or FrequencyType.Yearly;
}
