using Microsoft.JSInterop;

namespace PatchPortal.Portal.Infrastructure;

/// <summary>
/// The viewer's IANA time zone, asked from the browser once per circuit (this service is scoped, and a
/// circuit is one scope). Times are stored in UTC and converted here, at the edge.
/// </summary>
public sealed class BrowserTimeZone(IJSRuntime js)
{
    private TimeZoneInfo? _zone;

    public TimeZoneInfo? Zone => _zone;

    /// <summary>Asks the browser on first use; falls back to UTC when the zone is unknown to this server.</summary>
    public async Task<TimeZoneInfo> GetAsync()
    {
        if (_zone is not null)
        {
            return _zone;
        }

        var id = await js.InvokeAsync<string?>("patchPortal.timeZone");
        _zone = !string.IsNullOrWhiteSpace(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var found) ? found : TimeZoneInfo.Utc;
        return _zone;
    }

    /// <summary>Formats an instant in the given zone, naming the zone.</summary>
    public static string Format(DateTimeOffset instant, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return $"{local.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)} {zone.Id}";
    }
}
