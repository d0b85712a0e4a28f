using Microsoft.Extensions.Logging.Abstractions;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Windows;
using static PatchPortal.Tests.Unit.Portal.Windows.WindowTestData;

namespace PatchPortal.Tests.Unit.Portal.Windows;

/// <summary>Recurrence expansion with Ical.Net in the window's zone: daylight-saving changes, nth weekdays, ends, exclusions.</summary>
public sealed class MaintenanceScheduleTests
{
    private readonly MaintenanceSchedule _schedule = new(NullLogger<MaintenanceSchedule>.Instance);

    private List<DateTimeOffset> Starts(MaintenanceWindow window, DateTimeOffset from, DateTimeOffset to) =>
        _schedule.Occurrences(window, from, to).Select(o => o.Start).ToList();

    [Fact]
    public void Occurrences_KeepWallClockTime_WhenBerlinSpringsForward()
    {
        var window = Window("Europe/Berlin", new DateTime(2027, 3, 26, 1, 0, 0), 60, "FREQ=DAILY");

        var starts = Starts(window, Utc(2027, 3, 26, 0), Utc(2027, 3, 30, 0));

        // 01:00 CET is 00:00 UTC; from 28 March 01:00 CEST is 23:00 UTC the day before.
        Assert.Equal([Utc(2027, 3, 26, 0), Utc(2027, 3, 27, 0), Utc(2027, 3, 28, 0), Utc(2027, 3, 28, 23), Utc(2027, 3, 29, 23)], starts);
    }

    [Fact]
    public void Occurrences_KeepWallClockTime_WhenBerlinFallsBack()
    {
        var window = Window("Europe/Berlin", new DateTime(2027, 10, 29, 4, 0, 0), 60, "FREQ=DAILY");

        var starts = Starts(window, Utc(2027, 10, 29, 0), Utc(2027, 11, 1, 12));

        Assert.Equal([Utc(2027, 10, 29, 2), Utc(2027, 10, 30, 2), Utc(2027, 10, 31, 3), Utc(2027, 11, 1, 3)], starts);
    }

    [Fact]
    public void Occurrences_MoveStartForwardAndSaySo_WhenBerlinStartFallsInSpringGap()
    {
        var window = Window("Europe/Berlin", new DateTime(2027, 3, 21, 2, 30, 0), 120, "FREQ=WEEKLY;BYDAY=SU");

        var occurrences = _schedule.Occurrences(window, Utc(2027, 3, 20, 0), Utc(2027, 4, 5, 0));

        Assert.Equal([Utc(2027, 3, 21, 1, 30), Utc(2027, 3, 28, 1, 30), Utc(2027, 4, 4, 0, 30)], occurrences.Select(o => o.Start));
        Assert.Null(occurrences[0].Adjustment);
        Assert.Equal("02:30 does not exist on 2027-03-28 in Europe/Berlin; starts 03:30", occurrences[1].Adjustment);
        Assert.Null(occurrences[2].Adjustment);
        Assert.Equal(Utc(2027, 3, 28, 3, 30), occurrences[1].End);
    }

    [Fact]
    public void Occurrences_MoveFirstStartForwardAndSaySo_WhenOneOffStartsInSpringGap()
    {
        var window = Window("Europe/Berlin", new DateTime(2027, 3, 28, 2, 30, 0), 60, null);

        var occurrence = Assert.Single(_schedule.Occurrences(window, Utc(2027, 3, 27, 0), Utc(2027, 3, 29, 0)));

        Assert.Equal(Utc(2027, 3, 28, 1, 30), occurrence.Start);
        Assert.Equal("02:30 does not exist on 2027-03-28 in Europe/Berlin; starts 03:30", occurrence.Adjustment);
    }

    [Fact]
    public void Occurrences_TakeFirstInstance_WhenBerlinStartIsAmbiguous()
    {
        var window = Window("Europe/Berlin", new DateTime(2027, 10, 24, 2, 30, 0), 60, "FREQ=WEEKLY;BYDAY=SU");

        var occurrence = Assert.Single(_schedule.Occurrences(window, Utc(2027, 10, 30, 0), Utc(2027, 11, 1, 0)));

        // 02:30 happens twice on 31 October; the first is still summer time (+02:00).
        Assert.Equal(Utc(2027, 10, 31, 0, 30), occurrence.Start);
        Assert.Null(occurrence.Adjustment);
    }

    [Fact]
    public void Occurrences_KeepWallClockTime_WhenNewYorkSpringsForward()
    {
        var window = Window("America/New_York", new DateTime(2027, 3, 6, 22, 0, 0), 120, "FREQ=WEEKLY;BYDAY=SA");

        var starts = Starts(window, Utc(2027, 3, 6, 0), Utc(2027, 3, 22, 0));

        // 22:00 EST is 03:00 UTC the next day; after 14 March 22:00 EDT is 02:00 UTC.
        Assert.Equal([Utc(2027, 3, 7, 3), Utc(2027, 3, 14, 3), Utc(2027, 3, 21, 2)], starts);
    }

    [Fact]
    public void Occurrences_MoveStartForwardAndSaySo_WhenNewYorkStartFallsInSpringGap()
    {
        var window = Window("America/New_York", new DateTime(2027, 3, 13, 2, 30, 0), 60, "FREQ=DAILY;COUNT=3");

        var occurrences = _schedule.Occurrences(window, Utc(2027, 3, 1, 0), Utc(2027, 4, 1, 0));

        Assert.Equal([Utc(2027, 3, 13, 7, 30), Utc(2027, 3, 14, 7, 30), Utc(2027, 3, 15, 6, 30)], occurrences.Select(o => o.Start));
        Assert.Equal("02:30 does not exist on 2027-03-14 in America/New_York; starts 03:30", occurrences[1].Adjustment);
    }

    [Fact]
    public void Occurrences_TakeFirstInstance_WhenNewYorkFallsBack()
    {
        var window = Window("America/New_York", new DateTime(2027, 11, 6, 1, 30, 0), 30, "FREQ=DAILY");

        var starts = Starts(window, Utc(2027, 11, 6, 0), Utc(2027, 11, 9, 0));

        // 01:30 on 7 November exists twice; the first (EDT, -04:00) is 05:30 UTC.
        Assert.Equal([Utc(2027, 11, 6, 5, 30), Utc(2027, 11, 7, 5, 30), Utc(2027, 11, 8, 6, 30)], starts);
    }

    [Fact]
    public void Occurrences_FallOnSecondTuesday_WhenRuleSaysBydayTwoTu()
    {
        var window = Window("Europe/Berlin", new DateTime(2027, 1, 1, 20, 0, 0), 120, "FREQ=MONTHLY;BYDAY=2TU");

        var starts = Starts(window, Utc(2027, 1, 1, 0), Utc(2027, 4, 1, 0));

        Assert.Equal([Utc(2027, 1, 12, 19), Utc(2027, 2, 9, 19), Utc(2027, 3, 9, 19)], starts);
    }

    [Theory]
    [InlineData("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1")]
    [InlineData("FREQ=MONTHLY;BYDAY=-1FR")]
    public void Occurrences_FallOnLastFriday_WhenRuleAsksForLastFriday(string rule)
    {
        var window = Window("Europe/Berlin", new DateTime(2027, 1, 1, 20, 0, 0), 120, rule);

        var starts = Starts(window, Utc(2027, 1, 1, 0), Utc(2027, 5, 1, 0));

        Assert.Equal([Utc(2027, 1, 29, 19), Utc(2027, 2, 26, 19), Utc(2027, 3, 26, 19), Utc(2027, 4, 30, 18)], starts);
    }

    [Fact]
    public void Occurrences_SkipWeeks_WhenIntervalIsTwo()
    {
        var window = Window("UTC", new DateTime(2027, 1, 2, 6, 0, 0), 60, "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA");

        var starts = Starts(window, Utc(2027, 1, 1, 0), Utc(2027, 2, 1, 0));

        Assert.Equal([Utc(2027, 1, 2, 6), Utc(2027, 1, 16, 6), Utc(2027, 1, 30, 6)], starts);
    }

    [Fact]
    public void Occurrences_StopAfterCount_WhenRuleHasCount()
    {
        var window = Window("UTC", new DateTime(2027, 1, 1, 6, 0, 0), 60, "FREQ=DAILY;COUNT=3");

        var starts = Starts(window, Utc(2026, 1, 1, 0), Utc(2028, 1, 1, 0));

        Assert.Equal([Utc(2027, 1, 1, 6), Utc(2027, 1, 2, 6), Utc(2027, 1, 3, 6)], starts);
    }

    [Fact]
    public void Occurrences_StopAtUntil_WhenRuleHasUntil()
    {
        var window = Window("UTC", new DateTime(2027, 1, 1, 6, 0, 0), 60, "FREQ=DAILY;UNTIL=20270104T060000Z");

        var starts = Starts(window, Utc(2026, 1, 1, 0), Utc(2028, 1, 1, 0));

        Assert.Equal([Utc(2027, 1, 1, 6), Utc(2027, 1, 2, 6), Utc(2027, 1, 3, 6), Utc(2027, 1, 4, 6)], starts);
    }

    [Fact]
    public void Occurrences_SkipDay_WhenDateIsExcluded()
    {
        var window = Window("Europe/Berlin", new DateTime(2027, 1, 3, 2, 0, 0), 60, "FREQ=WEEKLY;BYDAY=SU", 0, new DateOnly(2027, 1, 10));

        var starts = Starts(window, Utc(2027, 1, 1, 0), Utc(2027, 1, 20, 0));

        Assert.Equal([Utc(2027, 1, 3, 1), Utc(2027, 1, 17, 1)], starts);
    }

    [Fact]
    public void Occurrences_SkipMovedStart_WhenExcludedDayIsInSpringGap()
    {
        var window = Window("Europe/Berlin", new DateTime(2027, 3, 21, 2, 30, 0), 60, "FREQ=WEEKLY;BYDAY=SU", 0, new DateOnly(2027, 3, 28));

        var starts = Starts(window, Utc(2027, 3, 20, 0), Utc(2027, 4, 5, 0));

        Assert.Equal([Utc(2027, 3, 21, 1, 30), Utc(2027, 4, 4, 0, 30)], starts);
    }

    [Fact]
    public void Occurrences_SetCutoffBeforeEnd_WhenWindowHasCutoff()
    {
        var window = Window("UTC", new DateTime(2027, 1, 1, 22, 0, 0), 240, null, cutoffMinutes: 45);

        var occurrence = Assert.Single(_schedule.Occurrences(window, Utc(2027, 1, 1, 0), Utc(2027, 1, 3, 0)));

        Assert.Equal(Utc(2027, 1, 2, 2), occurrence.End);
        Assert.Equal(Utc(2027, 1, 2, 1, 15), occurrence.CutoffAt);
    }

    [Fact]
    public void Occurrences_IncludeOccurrenceFromDayBefore_WhenWindowCrossesMidnight()
    {
        var window = Window("Europe/Berlin", new DateTime(2027, 6, 1, 23, 0, 0), 180, "FREQ=DAILY");

        // The next local day, 2 June 00:00–24:00 CEST: the occurrence that began at 23:00 on 1 June is still running.
        var occurrences = _schedule.Occurrences(window, Utc(2027, 6, 1, 22), Utc(2027, 6, 2, 22));

        Assert.Equal([Utc(2027, 6, 1, 21), Utc(2027, 6, 2, 21)], occurrences.Select(o => o.Start));
        Assert.Equal(Utc(2027, 6, 2, 0), occurrences[0].End);
    }

    [Fact]
    public void Occurrences_AreSingle_WhenWindowIsOneOff()
    {
        var window = Window("America/New_York", new DateTime(2027, 7, 4, 9, 0, 0), 60, null);

        var starts = Starts(window, Utc(2020, 1, 1, 0), Utc(2030, 1, 1, 0));

        Assert.Equal([Utc(2027, 7, 4, 13)], starts);
    }

    [Fact]
    public void Occurrences_AreEmpty_WhenWindowIsDisabled()
    {
        var window = Window("UTC", new DateTime(2027, 1, 1, 6, 0, 0), 60, "FREQ=DAILY");
        window.Enabled = false;

        Assert.Empty(_schedule.Occurrences(window, Utc(2027, 1, 1, 0), Utc(2027, 2, 1, 0)));
    }

    [Fact]
    public void Occurrences_AreEmpty_WhenStoredRuleCannotBeRead()
    {
        var window = Window("UTC", new DateTime(2027, 1, 1, 6, 0, 0), 60, "FREQ=SOMETIMES");

        Assert.Empty(_schedule.Occurrences(window, Utc(2027, 1, 1, 0), Utc(2027, 2, 1, 0)));
    }

    [Fact]
    public void NextOccurrence_ReturnsOccurrenceUnderWay_WhenAskedDuringIt()
    {
        var window = Window("UTC", new DateTime(2027, 1, 1, 6, 0, 0), 120, "FREQ=DAILY");

        var next = _schedule.NextOccurrence(window, Utc(2027, 1, 5, 7, 30));

        Assert.Equal(Utc(2027, 1, 5, 6), next?.Start);
    }

    [Fact]
    public void NextOccurrence_ReturnsFollowingOccurrence_WhenCurrentOneHasEnded()
    {
        var window = Window("UTC", new DateTime(2027, 1, 1, 6, 0, 0), 120, "FREQ=DAILY");

        var next = _schedule.NextOccurrence(window, Utc(2027, 1, 5, 8));

        Assert.Equal(Utc(2027, 1, 6, 6), next?.Start);
    }

    [Fact]
    public void NextOccurrence_IsNull_WhenCountIsUsedUp()
    {
        var window = Window("UTC", new DateTime(2027, 1, 1, 6, 0, 0), 60, "FREQ=DAILY;COUNT=2");

        Assert.Null(_schedule.NextOccurrence(window, Utc(2027, 1, 3, 0)));
    }

    [Fact]
    public void OccurrenceStartingAt_ReturnsOccurrence_WhenStartMatches()
    {
        var window = Window("Europe/Berlin", new DateTime(2027, 3, 21, 2, 30, 0), 120, "FREQ=WEEKLY;BYDAY=SU", cutoffMinutes: 30);

        var occurrence = _schedule.OccurrenceStartingAt(window, Utc(2027, 3, 28, 1, 30));

        Assert.NotNull(occurrence);
        Assert.Equal(window.Id, occurrence.WindowId);
        Assert.Equal("Europe/Berlin", occurrence.TimeZoneId);
        Assert.Equal(Utc(2027, 3, 28, 3), occurrence.CutoffAt);
        Assert.NotNull(occurrence.Adjustment);
    }

    [Fact]
    public void OccurrenceStartingAt_IsNull_WhenNoOccurrenceStartsThere()
    {
        var window = Window("UTC", new DateTime(2027, 1, 1, 6, 0, 0), 120, "FREQ=DAILY");

        Assert.Null(_schedule.OccurrenceStartingAt(window, Utc(2027, 1, 5, 6, 1)));
    }

    [Fact]
    public void OccurrenceStartingAt_IsNull_WhenDateIsExcluded()
    {
        var window = Window("UTC", new DateTime(2027, 1, 1, 6, 0, 0), 120, "FREQ=DAILY", 0, new DateOnly(2027, 1, 5));

        Assert.Null(_schedule.OccurrenceStartingAt(window, Utc(2027, 1, 5, 6)));
    }
}
