using System.Globalization;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Hosts;

/// <summary>
/// The host list's filters in the URL, so a dashboard card or a bookmark opens the list already filtered
/// (<c>/hosts?health=Unreachable</c>, <c>/hosts?security=true</c>, <c>/hosts?reboot=true</c>, <c>/hosts?stale=true</c>).
/// </summary>
public static class HostListQuery
{
    public const string Search = "q";
    public const string Group = "group";
    public const string Tag = "tag";
    public const string Os = "os";
    public const string Health = "health";
    public const string Security = "security";
    public const string Reboot = "reboot";
    public const string Stale = "stale";

    /// <summary>Reads the filter from query-string values; unknown or malformed values are ignored, never an error page.</summary>
    public static HostFilter Parse(string? search, string? group, string? tag, string? os, string? health, string? security, string? reboot, string? stale) =>
        new(
            Blank(search),
            Blank(group),
            Blank(tag),
            Blank(os),
            Enum.TryParse<HostHealth>(health, ignoreCase: true, out var h) && Enum.IsDefined(h) && !int.TryParse(health, out _) ? h : null,
            IsTrue(security),
            IsTrue(reboot),
            IsTrue(stale));

    /// <summary>The query-string values of a filter; null removes the parameter from the URL.</summary>
    public static IReadOnlyDictionary<string, object?> ToQuery(HostFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [Search] = Blank(filter.Search),
            [Group] = Blank(filter.Group),
            [Tag] = Blank(filter.Tag),
            [Os] = Blank(filter.Os),
            [Health] = filter.Health?.ToString(),
            [Security] = filter.SecurityUpdates ? "true" : null,
            [Reboot] = filter.RebootRequired ? "true" : null,
            [Stale] = filter.Stale ? "true" : null,
        };
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool IsTrue(string? value) =>
        bool.TryParse(value, out var b) ? b : string.Equals(value, "1", StringComparison.Ordinal) || string.Equals(value?.ToLower(CultureInfo.InvariantCulture), "yes", StringComparison.Ordinal);
}
