using PatchPortal.Agent.Packages;

namespace PatchPortal.Tests.Unit.Agent.Packages;

public class PackageNamesTests
{
    [Theory]
    [InlineData("hello")]
    [InlineData("libc6")]
    [InlineData("libstdc++6")]
    [InlineData("python3.11-minimal")]
    [InlineData("libc6:amd64")]
    [InlineData("g++")]
    public void IsValidName_ReturnsTrue_WhenNameIsDebianOrRpmName(string name) =>
        Assert.True(PackageNames.IsValidName(name));

    [Theory]
    [InlineData("")]
    [InlineData("-rf")]
    [InlineData("--purge")]
    [InlineData("hello;reboot")]
    [InlineData("hello world")]
    [InlineData("$(id)")]
    [InlineData("`id`")]
    [InlineData("../../etc/passwd")]
    [InlineData("/bin/sh")]
    [InlineData("Hello")]
    [InlineData("hello\n")]
    [InlineData("hellö")]
    [InlineData("hello|cat")]
    [InlineData("hello:")]
    public void IsValidName_ReturnsFalse_WhenNameBreaksTheInputRules(string name) =>
        Assert.False(PackageNames.IsValidName(name));

    [Fact]
    public void IsValidName_ReturnsFalse_WhenNameIsLongerThan128() =>
        Assert.False(PackageNames.IsValidName(new string('a', 129)));

    [Theory]
    [InlineData("2.10-3")]
    [InlineData("1:2.38.1-5+deb12u3")]
    [InlineData("12.4+deb12u11")]
    [InlineData("1.0~rc1")]
    [InlineData("5.14.0-362.8.1.el9_3")]
    public void IsValidVersion_ReturnsTrue_WhenVersionUsesAllowedCharacters(string version) =>
        Assert.True(PackageNames.IsValidVersion(version));

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("1.0 ; reboot")]
    [InlineData("1.0/../")]
    [InlineData("1.0$")]
    public void IsValidVersion_ReturnsFalse_WhenVersionBreaksTheInputRules(string version) =>
        Assert.False(PackageNames.IsValidVersion(version));

    [Theory]
    [InlineData("lib*", "libc6", true)]
    [InlineData("lib*", "xlib", false)]
    [InlineData("*ssl*", "libssl3", true)]
    [InlineData("hello", "HELLO", true)]
    [InlineData("hello", "hello-traditional", false)]
    public void GlobMatcher_MatchesWholeName(string glob, string name, bool expected) =>
        Assert.Equal(expected, PackageNames.GlobMatcher(glob)(name));
}
