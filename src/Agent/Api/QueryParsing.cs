using System.Globalization;

namespace PatchPortal.Agent.Api;

/// <summary>Parses the list parameters every list endpoint shares; each failure names the parameter.</summary>
public static class QueryParsing
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static ValidationFailure? Paging(string? limitText, string? offsetText, out int limit, out int offset)
    {
        limit = DefaultLimit;
        offset = 0;
        if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return new("limit", $"limit must be a whole number from 1 to {MaxLimit}");
        }

        if (offsetText is not null && (!int.TryParse(offsetText, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
        {
            return new("offset", "offset must be a whole number of 0 or more");
        }

        return null;
    }

    public static ValidationFailure? Choice(string field, string? text, IReadOnlyCollection<string> allowed, string fallback, out string value)
    {
        value = fallback;
        if (text is null)
        {
            return null;
        }

        var match = allowed.FirstOrDefault(a => string.Equals(a, text, StringComparison.OrdinalIgnoreCase));
        if (match is null)
        {
            return new(field, $"{field} must be one of: {string.Join(", ", allowed)}");
        }

        value = match;
        return null;
    }

    /// <summary><c>order</c>: asc or desc.</summary>
    public static ValidationFailure? Order(string? text, bool defaultDescending, out bool descending)
    {
        var failure = Choice("order", text, ["asc", "desc"], defaultDescending ? "desc" : "asc", out var order);
        descending = order == "desc";
        return failure;
    }

    public static ValidationFailure? Boolean(string field, string? text, out bool value)
    {
        value = false;
        if (text is null || text.Length == 0)
        {
            return null;
        }

        return bool.TryParse(text, out value) ? null : new(field, $"{field} must be true or false");
    }

    /// <summary>The first failure of several checks, all of which run (so every out value is assigned).</summary>
    public static ValidationFailure? First(params ValidationFailure?[] failures) => failures.FirstOrDefault(f => f is not null);
}
