namespace PatchPortal.Portal.Api;

/// <summary>One page of a list, with the total that matched the filter; <see cref="Page"/> counts from 1.</summary>
public sealed record ApiPage<T>(IReadOnlyList<T> Items, int Total, int Page, int PageSize)
{
    public int Pages => Total == 0 ? 0 : (Total + PageSize - 1) / PageSize;
}

/// <summary>Page paging: <c>?page=1&amp;pageSize=50</c>; the size is capped, bad values are a 400.</summary>
public readonly record struct ApiPaging(int Page, int PageSize)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    /// <summary>The 0-based index the catalogs take.</summary>
    public int Index => Page - 1;

    /// <summary>The page to read, or the message explaining why the parameters are wrong.</summary>
    public static (ApiPaging Paging, string? Error) Read(int? page, int? pageSize)
    {
        var p = page ?? 1;
        var s = pageSize ?? DefaultPageSize;
        if (p < 1)
        {
            return (default, "page counts from 1.");
        }

        if (s is < 1 or > MaxPageSize)
        {
            return (default, $"pageSize must be between 1 and {MaxPageSize}.");
        }

        return p > int.MaxValue / s ? (default, "page is too large.") : (new ApiPaging(p, s), null);
    }

    /// <summary>The catalog's sort key for a <c>sort</c> parameter (case-insensitive), or the message listing the allowed ones.</summary>
    public static (string? By, string? Error) Sort(string? sort, IReadOnlyList<string> sorts)
    {
        ArgumentNullException.ThrowIfNull(sorts);
        if (sort is null)
        {
            return (null, null);
        }

        var by = sorts.FirstOrDefault(s => string.Equals(s, sort, StringComparison.OrdinalIgnoreCase));
        return by is null ? (null, $"sort must be one of {string.Join(", ", sorts.Select(ApiJson.FieldName))}.") : (by, null);
    }

    public ApiPage<T> Of<T>(IReadOnlyList<T> items, int total) => new(items, total, Page, PageSize);
}

/// <summary>Query-string values beyond paging: an enum by its name as the API writes it (camelCase or not).</summary>
public static class ApiQuery
{
    /// <summary>The value (null when absent), or the message listing the allowed names; numbers are not names.</summary>
    public static (T? Value, string? Error) Enum<T>(string? value, string parameter)
        where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return (null, null);
        }

        return System.Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && System.Enum.IsDefined(parsed) && !int.TryParse(value, out _)
            ? (parsed, null)
            : (null, $"{parameter} must be one of {string.Join(", ", System.Enum.GetNames<T>().Select(ApiJson.FieldName))}.");
    }
}
