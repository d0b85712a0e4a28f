using PatchPortal.Agent.Packages;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Plans;

namespace PatchPortal.Tests.Unit.Portal.Plans;

public sealed class PlanInputRulesTests
{
    private static readonly PlanInput Valid = new()
    {
        Name = "Patch web",
        GroupIds = [Guid.NewGuid()],
        Timing = PlanTiming.NextOccurrence,
        WindowId = Guid.NewGuid(),
    };

    [Theory]
    [InlineData("openssl")]
    [InlineData("libc6:amd64")]
    [InlineData("g++-12")]
    [InlineData("python3.11")]
    [InlineData("-rf")]
    [InlineData("OpenSSL")]
    [InlineData("a b")]
    [InlineData("foo;rm")]
    [InlineData("")]
    [InlineData("libc6:")]
    [InlineData(":amd64")]
    public void IsPackageName_AgreesWithAgent_ForSampleNames(string name) =>
        Assert.Equal(PackageNames.IsValidName(name), PlanInputRules.IsPackageName(name));

    [Fact]
    public void IsPackageName_AgreesWithAgent_WhenNameIsLongerThan128()
    {
        var name = new string('a', 129);

        Assert.False(PlanInputRules.IsPackageName(name));
        Assert.Equal(PackageNames.IsValidName(name), PlanInputRules.IsPackageName(name));
    }

    [Fact]
    public void ValidatePackage_ExplainsRule_WhenNameStartsWithDash()
    {
        var error = PlanInputRules.ValidatePackage("-rf");

        Assert.Equal("'-rf' is not a package name: use lower-case letters, digits and + . _ - (optionally :arch), at most 128 characters, not starting with '-'.", error);
    }

    [Theory]
    [InlineData("linux-image-*")]
    [InlineData("*-dbg")]
    [InlineData("linux-*-amd64")]
    [InlineData("openssl")]
    public void ValidateExclusion_Accepts_WhenNameOrGlob(string pattern) => Assert.Null(PlanInputRules.ValidateExclusion(pattern));

    [Theory]
    [InlineData("-linux*")]
    [InlineData("Linux-*")]
    [InlineData("linux image")]
    [InlineData("linux?")]
    public void ValidateExclusion_Refuses_WhenNotNameOrGlob(string pattern) =>
        Assert.StartsWith($"'{pattern}' is not a package name or glob", PlanInputRules.ValidateExclusion(pattern), StringComparison.Ordinal);

    [Fact]
    public void ValidateExclusion_Refuses_WhenGlobExcludesEverything() =>
        Assert.Equal("'*' would exclude every package.", PlanInputRules.ValidateExclusion("*"));

    [Fact]
    public void Validate_ReportsNothing_WhenInputIsValid() => Assert.Empty(PlanInputRules.Validate(Valid));

    [Fact]
    public void Validate_NamesNameTargetsAndWindow_WhenInputIsEmpty()
    {
        var errors = PlanInputRules.Validate(new PlanInput { Name = " " });

        Assert.Equal("Enter a name.", errors[PlanFields.Name]);
        Assert.Equal("Choose at least one group, tag or host.", errors[PlanFields.Targets]);
        Assert.Equal("Choose a maintenance window (or run the plan now).", errors[PlanFields.Window]);
    }

    [Fact]
    public void Validate_NeedsNoWindow_WhenTimingIsNow() =>
        Assert.Empty(PlanInputRules.Validate(Valid with { Timing = PlanTiming.Now, WindowId = null }));

    [Fact]
    public void Validate_NeedsOccurrence_WhenTimingIsOccurrence() =>
        Assert.Equal("Choose an occurrence of the window.", PlanInputRules.Validate(Valid with { Timing = PlanTiming.Occurrence })[PlanFields.Occurrence]);

    [Fact]
    public void Validate_NeedsPackage_WhenScopeIsNamedPackages() =>
        Assert.Equal("Name at least one package.", PlanInputRules.Validate(Valid with { Scope = PlanPackageScope.NamedPackages })[PlanFields.Packages]);

    [Fact]
    public void Validate_RefusesPackage_WhenNameIsInvalid() =>
        Assert.StartsWith("'Bad Name' is not a package name",
            PlanInputRules.Validate(Valid with { Scope = PlanPackageScope.NamedPackages, Packages = ["openssl", "Bad Name"] })[PlanFields.Packages], StringComparison.Ordinal);

    [Theory]
    [InlineData(0, false, "A batch has at least 1 host.")]
    [InlineData(0, true, "A batch is from 1 to 100 percent of the hosts.")]
    [InlineData(101, true, "A batch is from 1 to 100 percent of the hosts.")]
    public void Validate_RefusesBatchSize_WhenOutOfRange(int size, bool percent, string message) =>
        Assert.Equal(message, PlanInputRules.Validate(Valid with { BatchSize = size, BatchSizeIsPercent = percent })[PlanFields.BatchSize]);

    [Theory]
    [InlineData(-1, false, "Max failures cannot be negative (0 halts at the first failure).")]
    [InlineData(101, true, "Max failures is from 0 to 100 percent of the hosts.")]
    public void Validate_RefusesMaxFailures_WhenOutOfRange(int failures, bool percent, string message) =>
        Assert.Equal(message, PlanInputRules.Validate(Valid with { MaxFailures = failures, MaxFailuresIsPercent = percent })[PlanFields.MaxFailures]);

    [Theory]
    [InlineData(0)]
    [InlineData(1441)]
    public void Validate_RefusesHostTimeout_WhenOutsideOneTo1440(int minutes) =>
        Assert.Equal("The host timeout is from 1 to 1440 minutes.", PlanInputRules.Validate(Valid with { HostTimeoutMinutes = minutes })[PlanFields.HostTimeout]);

    [Fact]
    public void Validate_RefusesRebootPolicy_WhenUndefined() =>
        Assert.Equal("Choose a reboot policy.", PlanInputRules.Validate(Valid with { RebootPolicy = (RebootPolicy)7 })[PlanFields.RebootPolicy]);

    [Fact]
    public void SplitList_SplitsOnCommasSpacesAndLines_WhenTyped() =>
        Assert.Equal(["openssl", "curl", "linux-image-*"], PlanInputRules.SplitList("openssl, curl\nlinux-image-*  openssl"));
}
