using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Tests.Unit.Portal.Windows;

internal static class WindowTestData
{
    public static MaintenanceWindow Window(
        string zone, DateTime startLocal, int durationMinutes, string? rule, int cutoffMinutes = 0, params DateOnly[] exclusions) => new()
        {
            Name = "w",
            TimeZoneId = zone,
            StartLocal = DateTime.SpecifyKind(startLocal, DateTimeKind.Unspecified),
            DurationMinutes = durationMinutes,
            CutoffMinutes = cutoffMinutes,
            RecurrenceRule = rule,
            ExclusionDates = [.. exclusions],
        };

    public static DateTimeOffset Utc(int year, int month, int day, int hour, int minute = 0) =>
        new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    public static WindowInput Input(
        string? rule = "FREQ=WEEKLY;BYDAY=SU",
        int duration = 120,
        int cutoff = 30,
        string zone = "Europe/Berlin",
        DateTime? start = null,
        TargetSet? targets = null,
        params DateOnly[] exclusions) =>
        new("Sunday night", null, zone, start ?? new DateTime(2027, 1, 3, 2, 0, 0), duration, cutoff, rule, exclusions, true,
            targets ?? new TargetSet([Guid.NewGuid()], [], []));
}
