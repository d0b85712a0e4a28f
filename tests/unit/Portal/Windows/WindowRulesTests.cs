using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Windows;
using static PatchPortal.Tests.Unit.Portal.Windows.WindowTestData;

namespace PatchPortal.Tests.Unit.Portal.Windows;

/// <summary>Each rule a window must satisfy refuses with its own message on its own field.</summary>
public sealed class WindowRulesTests
{
    private static readonly DateTimeOffset Now = Utc(2026, 12, 1, 0);

    private static RuleViolation Single(WindowInput input) => Assert.Single(WindowRules.Validate(input, Now));

    [Fact]
    public void Validate_ReturnsNothing_WhenWindowIsValid()
    {
        Assert.Empty(WindowRules.Validate(Input(), Now));
    }

    [Fact]
    public void Validate_AcceptsRule_WhenItHasRrulePrefixAndLowerCase()
    {
        Assert.Empty(WindowRules.Validate(Input(rule: "RRULE:freq=monthly;byday=2tu"), Now));
    }

    [Theory]
    [InlineData("FREQ=WEEKLY;BYDAY=XX", "XX is not a valid iCal day-of-week indicator.")]
    [InlineData("BYDAY=MO", "The recurrence rule must specify a valid FREQ part.")]
    [InlineData("FREQ=WEEKLY;COUNT=abc", "a number is expected where it says 'abc'.")]
    [InlineData("FREQ=WEEKLY;INTERVAL=0", "INTERVAL value 0 is out of range.")]
    [InlineData("FREQ=WEEKLY;FOO=1", "The recurrence rule part 'foo' or its value 1 is not supported.")]
    public void Validate_SaysWhatIsWrong_WhenRuleCannotBeParsed(string rule, string expected)
    {
        var violation = Single(Input(rule: rule));

        Assert.Equal(nameof(WindowInput.RecurrenceRule), violation.Field);
        Assert.StartsWith("The recurrence rule is not valid: ", violation.Message, StringComparison.Ordinal);
        Assert.Contains(expected, violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RefusesUntil_WhenItIsNotADate()
    {
        var violation = Single(Input(rule: "FREQ=WEEKLY;UNTIL=2027"));

        Assert.Equal("The recurrence rule is not valid: UNTIL must be a date (20270131) or a UTC date and time (20270131T235959Z).", violation.Message);
    }

    [Theory]
    [InlineData("FREQ=HOURLY", "FREQ=HOURLY is not offered: a window repeats daily, weekly, monthly or yearly.")]
    [InlineData("FREQ=MINUTELY", "FREQ=MINUTELY is not offered: a window repeats daily, weekly, monthly or yearly.")]
    public void Validate_RefusesFrequency_WhenFinerThanDaily(string rule, string expected)
    {
        var violation = Single(Input(rule: rule));

        Assert.Equal(nameof(WindowInput.RecurrenceRule), violation.Field);
        Assert.Equal(expected, violation.Message);
    }

    [Fact]
    public void Validate_RefusesNumberedWeekday_WhenFrequencyIsWeekly()
    {
        var violation = Single(Input(rule: "FREQ=WEEKLY;BYDAY=2TU"));

        Assert.Equal("A numbered weekday such as BYDAY=2TU needs FREQ=MONTHLY or FREQ=YEARLY, not FREQ=WEEKLY.", violation.Message);
    }

    [Fact]
    public void Validate_RefusesByHour_WhenRuleSetsTimeOfDay()
    {
        var violation = Single(Input(rule: "FREQ=DAILY;BYHOUR=3"));

        Assert.Equal("Remove BYHOUR, BYMINUTE and BYSECOND: the time of day comes from the window's start.", violation.Message);
    }

    [Fact]
    public void Validate_RefusesRule_WhenItNeverMatches()
    {
        var violation = Single(Input(rule: "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"));

        Assert.Equal("The recurrence rule never produces an occurrence (check day numbers such as BYMONTHDAY against BYMONTH).", violation.Message);
    }

    [Fact]
    public void Validate_RefusesZone_WhenUnknown()
    {
        var violation = Single(Input(zone: "Mars/Olympus_Mons"));

        Assert.Equal(nameof(WindowInput.TimeZoneId), violation.Field);
        Assert.Equal("'Mars/Olympus_Mons' is not a known IANA time zone (for example Europe/Berlin or America/New_York).", violation.Message);
    }

    [Fact]
    public void Validate_RefusesDuration_WhenLongerThanRecurrenceInterval()
    {
        var violation = Single(Input(rule: "FREQ=DAILY", duration: 25 * 60, cutoff: 0));

        Assert.Equal(nameof(WindowInput.DurationMinutes), violation.Field);
        Assert.StartsWith("The duration (25 h) is longer than the time between two occurrences (", violation.Message, StringComparison.Ordinal);
        Assert.EndsWith("): occurrences would overlap.", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RefusesDuration_WhenDaylightSavingMakesOneGapShorter()
    {
        // 24 hours fit every day but 28 March 2027 in Berlin, which has only 23.
        var violation = Single(Input(rule: "FREQ=DAILY", duration: 24 * 60, cutoff: 0, start: new DateTime(2027, 1, 1, 1, 0, 0)));

        Assert.Equal("The duration (24 h) is longer than the time between two occurrences (23 h, from 2027-03-28): occurrences would overlap.", violation.Message);
    }

    [Fact]
    public void Validate_AcceptsDuration_WhenEqualToWeeklyInterval()
    {
        Assert.Empty(WindowRules.Validate(Input(rule: "FREQ=WEEKLY;BYDAY=SU", duration: 6 * 24 * 60, cutoff: 0, zone: "UTC"), Now));
    }

    [Theory]
    [InlineData(120, 120)]
    [InlineData(120, 180)]
    public void Validate_RefusesCutoff_WhenNotShorterThanDuration(int duration, int cutoff)
    {
        var violation = Single(Input(duration: duration, cutoff: cutoff));

        Assert.Equal(nameof(WindowInput.CutoffMinutes), violation.Field);
        Assert.Equal($"The cutoff ({WindowRules.Minutes(cutoff)}) must be shorter than the duration (2 h), or no host could ever start.", violation.Message);
    }

    [Fact]
    public void Validate_RefusesDuration_WhenZero()
    {
        var violation = Assert.Single(WindowRules.Validate(Input(duration: 0, cutoff: 0), Now));

        Assert.Equal("The duration must be at least one minute.", violation.Message);
    }

    [Fact]
    public void Validate_RefusesTargets_WhenEmpty()
    {
        var violation = Single(Input(targets: TargetSet.Empty));

        Assert.Equal(WindowRules.TargetsField, violation.Field);
        Assert.Equal("Choose at least one group, tag or host: a window without targets patches nothing.", violation.Message);
    }

    [Fact]
    public void Validate_RefusesOneOff_WhenItHasEnded()
    {
        var violation = Single(Input(rule: null, start: new DateTime(2026, 11, 1, 2, 0, 0)));

        Assert.Equal(nameof(WindowInput.StartLocal), violation.Field);
        Assert.Equal("This one-off window has already ended: choose a start in the future.", violation.Message);
    }

    [Fact]
    public void Validate_AcceptsOneOff_WhenItIsUnderWay()
    {
        // 30 November 2026 23:30 UTC is 1 December 00:30 in Berlin; the window runs until 02:30.
        Assert.Empty(WindowRules.Validate(Input(rule: null, start: new DateTime(2026, 12, 1, 0, 30, 0)), Now));
    }

    [Fact]
    public void Validate_RefusesRule_WhenCountIsUsedUp()
    {
        var violation = Single(Input(rule: "FREQ=WEEKLY;BYDAY=SU;COUNT=3", start: new DateTime(2026, 10, 4, 2, 0, 0)));

        Assert.Equal(nameof(WindowInput.RecurrenceRule), violation.Field);
        Assert.Equal("All 3 occurrences (COUNT=3) have ended: the window has no future occurrence.", violation.Message);
    }

    [Fact]
    public void Validate_RefusesRule_WhenUntilHasPassed()
    {
        var violation = Single(Input(rule: "FREQ=WEEKLY;BYDAY=SU;UNTIL=20261101T000000Z", start: new DateTime(2026, 10, 4, 2, 0, 0)));

        Assert.Equal("The rule ends on 2026-11-01 (UNTIL) and every occurrence before it has ended: the window has no future occurrence.", violation.Message);
    }

    [Fact]
    public void Validate_RefusesOneOff_WhenItsOnlyDayIsExcluded()
    {
        var violation = Single(Input(rule: null, start: new DateTime(2027, 1, 3, 2, 0, 0), exclusions: new DateOnly(2027, 1, 3)));

        Assert.Equal("This one-off window has already ended or is excluded: choose a start in the future.", violation.Message);
    }

    [Fact]
    public void Validate_RefusesName_WhenBlank()
    {
        var input = Input() with { Name = " " };

        var violation = Single(input);

        Assert.Equal(nameof(WindowInput.Name), violation.Field);
        Assert.Equal("Enter a name.", violation.Message);
    }
}
