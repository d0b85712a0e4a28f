using PatchPortal.Portal.Windows;
using static PatchPortal.Tests.Unit.Portal.Windows.WindowTestData;

namespace PatchPortal.Tests.Unit.Portal.Windows;

public sealed class CalendarGridTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Fact]
    public void Build_StartsOnMondayBeforeFirstAndShowsSixWeeks_WhenMonthView()
    {
        var grid = CalendarGrid.Build(CalendarView.Month, new DateOnly(2027, 3, 17), Berlin);

        Assert.Equal(42, grid.Days.Count);
        Assert.Equal(new DateOnly(2027, 3, 1), grid.Days[0].Date);
        Assert.Equal(Utc(2027, 2, 28, 23), grid.From);
        Assert.False(grid.Days[^1].InFocus);
    }

    [Fact]
    public void Build_CoversTwentyThreeHours_WhenDayLosesAnHourToDaylightSaving()
    {
        var grid = CalendarGrid.Build(CalendarView.Week, new DateOnly(2027, 3, 28), Berlin);

        var sunday = grid.Days[^1];
        Assert.Equal(new DateOnly(2027, 3, 28), sunday.Date);
        Assert.Equal(TimeSpan.FromHours(23), sunday.To - sunday.From);
    }

    [Fact]
    public void PreviousAndNext_MoveByMonth_WhenMonthView()
    {
        var grid = CalendarGrid.Build(CalendarView.Month, new DateOnly(2027, 1, 31), Berlin);

        Assert.Equal(new DateOnly(2026, 12, 1), grid.Previous());
        Assert.Equal(new DateOnly(2027, 2, 1), grid.Next());
    }

    [Fact]
    public void PreviousAndNext_MoveByWeek_WhenWeekView()
    {
        var grid = CalendarGrid.Build(CalendarView.Week, new DateOnly(2027, 3, 24), Berlin);

        Assert.Equal(new DateOnly(2027, 3, 17), grid.Previous());
        Assert.Equal(new DateOnly(2027, 3, 31), grid.Next());
        Assert.Equal("Week of 2027-03-22 – 2027-03-28", grid.Title);
    }
}
