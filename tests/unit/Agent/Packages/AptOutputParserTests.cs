using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Machine;
using PatchPortal.Agent.Packages.Apt;

namespace PatchPortal.Tests.Unit.Agent.Packages;

public class AptOutputParserTests
{
    private static readonly string Debian12Upgrade = TestData.Read("apt/debian12-dist-upgrade.txt");

    [Fact]
    public void ParseSimulation_ReturnsOneChangePerInstLine_WhenReadingDebian12DistUpgrade()
    {
        var changes = AptOutputParser.ParseSimulation(Debian12Upgrade);

        var instLines = Debian12Upgrade.Split('\n').Count(line => line.StartsWith("Inst ", StringComparison.Ordinal));
        Assert.Equal(instLines, changes.Count);
        Assert.All(changes, change => Assert.False(change.Removes));
    }

    [Fact]
    public void ToUpdates_MarksSecurityOrigin_WhenCandidateComesFromDebianSecurity()
    {
        var updates = AptOutputParser.ToUpdates(AptOutputParser.ParseSimulation(Debian12Upgrade));

        var libssl = Assert.Single(updates, update => update.Name == "libssl3");
        Assert.Equal("3.0.19-1~deb12u2", libssl.CurrentVersion);
        Assert.Equal("3.0.22-1~deb12u2", libssl.CandidateVersion);
        Assert.Equal("amd64", libssl.Architecture);
        Assert.True(libssl.IsSecurity);
        Assert.Equal("Debian-Security:12/oldstable-security", libssl.Source);
        Assert.True(libssl.RequiresReboot);
    }

    [Fact]
    public void ToUpdates_PrefersSecurityOrigin_WhenCandidateIsInBothSuites()
    {
        var updates = AptOutputParser.ToUpdates(AptOutputParser.ParseSimulation(Debian12Upgrade));

        var gcrypt = Assert.Single(updates, update => update.Name == "libgcrypt20");
        Assert.True(gcrypt.IsSecurity);
        Assert.Equal("Debian-Security:12/oldstable-security", gcrypt.Source);
    }

    [Fact]
    public void ToUpdates_IsNotSecurity_WhenCandidateComesOnlyFromPointRelease()
    {
        var updates = AptOutputParser.ToUpdates(AptOutputParser.ParseSimulation(Debian12Upgrade));

        var baseFiles = Assert.Single(updates, update => update.Name == "base-files");
        Assert.False(baseFiles.IsSecurity);
        Assert.Equal("Debian:12.15/oldstable", baseFiles.Source);
    }

    [Theory]
    [InlineData("linux-libc-dev")]
    [InlineData("linux-perf")]
    [InlineData("bash")]
    public void ToUpdates_DoesNotRequireReboot_WhenPackageIsNotLoadedAtBoot(string name)
    {
        var updates = AptOutputParser.ToUpdates(AptOutputParser.ParseSimulation(Debian12Upgrade));

        Assert.False(Assert.Single(updates, update => update.Name == name).RequiresReboot);
    }

    [Fact]
    public void ToUpdates_IncludesNewKernelWithoutCurrentVersion_WhenReadingUbuntuSample()
    {
        var updates = AptOutputParser.ToUpdates(AptOutputParser.ParseSimulation(TestData.Read("apt/ubuntu2204-dist-upgrade.txt")));

        Assert.Equal(9, updates.Count);
        var kernel = Assert.Single(updates, update => update.Name == "linux-image-5.15.0-113-generic");
        Assert.Null(kernel.CurrentVersion);
        Assert.True(kernel.RequiresReboot);
        Assert.True(kernel.IsSecurity);
        Assert.False(Assert.Single(updates, update => update.Name == "curl").IsSecurity);
        Assert.Equal("1:22.04.20", Assert.Single(updates, update => update.Name == "python3-update-manager").CandidateVersion);
    }

    [Fact]
    public void ToPlan_MapsRemvLinesToRemovals_WhenRemovingJq()
    {
        var plan = AptOutputParser.ToPlan(AptOutputParser.ParseSimulation(TestData.Read("apt/debian12-remove-jq.txt")));

        Assert.Equal([new("yq", "3.1.0-3", null), new("jq", "1.6-2.1+deb12u1", null)], plan.Changes);
        Assert.False(plan.RequiresReboot);
    }

    [Fact]
    public void ToPlan_HasNoFromVersion_WhenInstallingNewPackage()
    {
        var plan = AptOutputParser.ToPlan(AptOutputParser.ParseSimulation(TestData.Read("apt/debian12-install-hello.txt")));

        Assert.Equal([new("hello", null, "2.10-3")], plan.Changes);
    }

    [Fact]
    public void ToPlan_RequiresReboot_WhenKernelIsInThePlan()
    {
        var plan = AptOutputParser.ToPlan(AptOutputParser.ParseSimulation(TestData.Read("apt/ubuntu2204-dist-upgrade.txt")));

        Assert.True(plan.RequiresReboot);
    }

    [Theory]
    [InlineData("Debian-Security:12/bookworm-security", true)]
    [InlineData("Ubuntu:22.04/jammy-security", true)]
    [InlineData("Debian:12.15/oldstable", false)]
    [InlineData("Ubuntu:22.04/jammy-updates", false)]
    public void IsSecurityOrigin_DependsOnSuiteSuffix_WhenGivenOrigin(string origin, bool expected) =>
        Assert.Equal(expected, AptOutputParser.IsSecurityOrigin(origin));

    [Fact]
    public void ParseInstalled_ConvertsKibToBytesAndSplitsDepends_WhenReadingCapturedDpkgQuery()
    {
        var entries = AptOutputParser.ParseInstalled(TestData.Read("apt/debian12-dpkg-query.txt"), "amd64");

        var dpkg = Assert.Single(entries, entry => entry.Package.Name == "dpkg").Package;
        Assert.Equal("1.21.22", dpkg.Version);
        Assert.Equal("installed", dpkg.Status);
        Assert.Equal("Debian package management system", dpkg.Description);
        Assert.Contains("tar", dpkg.Dependencies);
        Assert.Contains("libc6", dpkg.Dependencies);
        Assert.True(dpkg.SizeBytes > 1024 * 1024);
        Assert.Equal(0, dpkg.SizeBytes % 1024);
    }

    [Fact]
    public void ParseInstalled_KeepsNativeNameAndInfoFileName_WhenPackageIsMultiArch()
    {
        const string Lines = "libc6\t2.36-9\tamd64\tii \t12000\tGNU Libc Maintainers <x@debian.org>\tlibgcc-s1\t\tlibc6:amd64\tGNU C Library\n"
            + "libc6\t2.36-9\ti386\tii \t11000\tGNU Libc Maintainers <x@debian.org>\tlibgcc-s1\t\tlibc6:i386\tGNU C Library\n";

        var entries = AptOutputParser.ParseInstalled(Lines, "amd64");

        Assert.Equal(["libc6", "libc6:i386"], entries.Select(entry => entry.Package.Name));
        Assert.Equal(["libc6:amd64", "libc6:i386"], entries.Select(entry => entry.InfoName));
    }

    [Fact]
    public void ParseInstalled_SkipsPackage_WhenOnlyConfigFilesRemain()
    {
        const string Lines = "oldpkg\t1.0\tamd64\trc \t10\tMe <me@x>\t\t\toldpkg\tgone\n"
            + "halfpkg\t1.0\tamd64\tiF \t10\tMe <me@x>\t\t\thalfpkg\tbroken\n";

        var entry = Assert.Single(AptOutputParser.ParseInstalled(Lines, "amd64"));

        Assert.Equal("halfpkg", entry.Package.Name);
        Assert.Equal("half-configured", entry.Package.Status);
    }

    [Fact]
    public void ParseInstalledVersions_ReturnsNullForMissing_WhenSomeNamesAreNotInstalled()
    {
        const string Lines = "dpkg\tamd64\tii \t1.21.22\njq\tamd64\trc \t1.6\nlibc6\ti386\tii \t2.36-9\n";

        var versions = AptOutputParser.ParseInstalledVersions(Lines, ["dpkg", "jq", "nothere", "libc6:i386", "libc6"], "amd64");

        Assert.Equal("1.21.22", versions["dpkg"]);
        Assert.Null(versions["jq"]);
        Assert.Null(versions["nothere"]);
        Assert.Equal("2.36-9", versions["libc6:i386"]);
        Assert.Null(versions["libc6"]);
    }

    [Fact]
    public void DependencyNames_DropsVersionsAndArchQualifiers_WhenFieldHasAlternatives() =>
        Assert.Equal(["debconf", "debconf-2.0", "python3", "libc6"],
            AptOutputParser.DependencyNames("debconf (>= 0.5) | debconf-2.0, python3:any, libc6 (>= 2.34)"));

    [Fact]
    public void ParseMadison_ListsEveryOfferedVersion_WhenPackageIsInTwoSuites()
    {
        const string Text = "        jq | 1.6-2.1+deb12u3 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages\n"
            + "        jq | 1.6-2.1+deb12u2 | http://deb.debian.org/debian bookworm/main amd64 Packages\n";

        var offered = AptOutputParser.ParseMadison(Text);

        Assert.Equal(["1.6-2.1+deb12u3", "1.6-2.1+deb12u2"], offered["jq"]);
        Assert.False(offered.Contains("hello"));
    }

    [Theory]
    [InlineData("pmstatus:hello:50:Unpacking hello (amd64)", 65)]
    [InlineData("dlstatus:1:50:Retrieving file 1 of 2", 15)]
    [InlineData("pmstatus:dpkg-exec:100:Running dpkg", 100)]
    public void ParseStatusLine_MapsPhaseToOverallPercent_WhenLineIsAptStatus(string line, int expected) =>
        Assert.Equal(expected, AptOutputParser.ParseStatusLine(line)?.Percent);

    [Fact]
    public void ParseStatusLine_ReturnsNull_WhenLineIsOrdinaryOutput() =>
        Assert.Null(AptOutputParser.ParseStatusLine("Setting up hello (2.10-3) ..."));

    [Theory]
    [InlineData("E: Unable to locate package nonexistent-pkg-xyz", JobErrorCodes.PackageNotFound)]
    [InlineData("E: Version '9.9' for 'hello' was not found", JobErrorCodes.PackageNotFound)]
    [InlineData("E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)", JobErrorCodes.PackageManagerError)]
    [InlineData("W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving 'deb.debian.org'", JobErrorCodes.NetworkError)]
    [InlineData("W: GPG error: http://repo.example bookworm InRelease: NO_PUBKEY 0123456789ABCDEF", JobErrorCodes.GpgError)]
    [InlineData("E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)", JobErrorCodes.PermissionDenied)]
    [InlineData("E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to correct the problem.", JobErrorCodes.PackageManagerError)]
    public void ClassifyFailure_ReturnsJobErrorCode_WhenAptPrintsKnownError(string stderr, string expected) =>
        Assert.Equal(expected, AptOutputParser.ClassifyFailure(new CommandResult(100, string.Empty, stderr)).Code);

    [Fact]
    public void ClassifyFailure_ReturnsDependencyConflict_WhenDependenciesAreUnmet()
    {
        var (code, message) = AptOutputParser.ClassifyFailure(new CommandResult(100, TestData.Read("apt/debian12-install-broken.txt"), string.Empty));

        Assert.Equal(JobErrorCodes.DependencyConflict, code);
        Assert.Equal("E: Unable to correct problems, you have held broken packages.", message);
    }

    [Fact]
    public void ClassifyFailure_ReturnsCommandNotFound_WhenAptGetIsMissing() =>
        Assert.Equal(JobErrorCodes.CommandNotFound, AptOutputParser.ClassifyFailure(new CommandResult(-1, string.Empty, "command not found", NotFound: true)).Code);

    [Fact]
    public void ClassifyFailure_ReturnsTimeout_WhenRunTimedOut() =>
        Assert.Equal(JobErrorCodes.Timeout, AptOutputParser.ClassifyFailure(new CommandResult(-1, string.Empty, string.Empty, TimedOut: true)).Code);

    [Fact]
    public void ParseLicense_ReturnsFirstLicense_WhenCopyrightIsMachineReadable() =>
        Assert.Equal("GPL-3+", AptOutputParser.ParseLicense(["Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/", "Files: *", "License: GPL-3+", "License: MIT"]));

    [Fact]
    public void ParseLicense_ReturnsNull_WhenCopyrightIsFreeText() =>
        Assert.Null(AptOutputParser.ParseLicense(["This package was debianized by someone.", "It is GPL."]));
}
