using PatchPortal.Portal.Windows;

namespace PatchPortal.Tests.Unit.Portal.Windows;

/// <summary>The recurrence builder writes RRULEs through Ical.Net and reads back what it can show.</summary>
public sealed class RecurrenceChoiceTests
{
    private static readonly DateTime Start = new(2027, 1, 12, 22, 0, 0);

    [Fact]
    public void ToRule_ListsChosenWeekdaysMondayFirst_WhenWeekly()
    {
        var choice = RecurrenceChoice.For(Start);
        choice.Weekdays.Clear();
        choice.Weekdays.UnionWith([DayOfWeek.Sunday, DayOfWeek.Wednesday]);
        choice.Interval = 2;

        Assert.Equal("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,SU", choice.ToRule("Europe/Berlin"));
    }

    [Fact]
    public void ToRule_WritesNumberedWeekday_WhenMonthlyOnSecondTuesday()
    {
        var choice = new RecurrenceChoice { Repeat = RepeatKind.Monthly, MonthlyMode = MonthlyMode.NthWeekday, Ordinal = 2, OrdinalWeekday = DayOfWeek.Tuesday };

        Assert.Equal("FREQ=MONTHLY;BYDAY=2TU", choice.ToRule("Europe/Berlin"));
    }

    [Fact]
    public void ToRule_WritesMinusOne_WhenMonthlyOnLastFriday()
    {
        var choice = new RecurrenceChoice { Repeat = RepeatKind.Monthly, MonthlyMode = MonthlyMode.NthWeekday, Ordinal = -1, OrdinalWeekday = DayOfWeek.Friday };

        Assert.Equal("FREQ=MONTHLY;BYDAY=-1FR", choice.ToRule("Europe/Berlin"));
    }

    [Fact]
    public void ToRule_WritesDayOfMonthAndCount_WhenMonthlyOnDayEndingAfterCount()
    {
        var choice = new RecurrenceChoice { Repeat = RepeatKind.Monthly, MonthlyMode = MonthlyMode.DayOfMonth, DayOfMonth = 15, End = RepeatEnd.AfterCount, Count = 6 };

        Assert.Equal("FREQ=MONTHLY;COUNT=6;BYMONTHDAY=15", choice.ToRule("UTC"));
    }

    [Fact]
    public void ToRule_EndsUntilAtEndOfLocalDayInUtc_WhenUntilDateChosen()
    {
        var choice = new RecurrenceChoice { Repeat = RepeatKind.Daily, End = RepeatEnd.OnDate, Until = new DateOnly(2027, 6, 30) };

        // 23:59:59 CEST on 30 June is 21:59:59 UTC.
        Assert.Equal("FREQ=DAILY;UNTIL=20270630T215959Z", choice.ToRule("Europe/Berlin"));
    }

    [Fact]
    public void ToRule_IsNull_WhenOneOff()
    {
        Assert.Null(new RecurrenceChoice { Repeat = RepeatKind.OneOff }.ToRule("UTC"));
    }

    [Theory]
    [InlineData("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,SU", RepeatKind.Weekly)]
    [InlineData("FREQ=MONTHLY;BYDAY=2TU", RepeatKind.Monthly)]
    [InlineData("FREQ=MONTHLY;COUNT=6;BYMONTHDAY=15", RepeatKind.Monthly)]
    [InlineData("FREQ=DAILY;UNTIL=20270630T215959Z", RepeatKind.Daily)]
    public void FromRule_OpensInBuilder_WhenBuilderWritesRuleBackUnchanged(string rule, RepeatKind expected)
    {
        var choice = RecurrenceChoice.FromRule(rule, Start, "Europe/Berlin");

        Assert.Equal(expected, choice.Repeat);
        Assert.Equal(rule, choice.ToRule("Europe/Berlin"));
    }

    [Theory]
    [InlineData("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1")]
    [InlineData("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24")]
    [InlineData("FREQ=WEEKLY;BYDAY=XX")]
    public void FromRule_OpensAdvancedWithRawText_WhenBuilderCannotShowRule(string rule)
    {
        var choice = RecurrenceChoice.FromRule(rule, Start, "Europe/Berlin");

        Assert.Equal(RepeatKind.Advanced, choice.Repeat);
        Assert.Equal(rule, choice.Advanced);
    }

    [Fact]
    public void For_PreselectsStartWeekday_WhenNewWindow()
    {
        var choice = RecurrenceChoice.For(Start);

        Assert.Equal([DayOfWeek.Tuesday], choice.Weekdays);
        Assert.Equal(2, choice.Ordinal);
    }
}
