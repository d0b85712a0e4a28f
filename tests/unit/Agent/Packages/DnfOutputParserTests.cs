using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Machine;
using PatchPortal.Agent.Packages.Dnf;

namespace PatchPortal.Tests.Unit.Agent.Packages;

public class DnfOutputParserTests
{
    [Fact]
    public void ParseCheckUpdate_JoinsWrappedRowsAndStopsAtObsoletes_WhenReadingRhel9Output()
    {
        var rows = DnfOutputParser.ParseCheckUpdate(TestData.Read("dnf/rhel9-check-update.txt"));

        Assert.Equal(["NetworkManager", "curl", "kernel", "kernel-core", "openssl-libs", "python3-unbound-libs-and-a-very-long-name", "tzdata"], rows.Select(r => r.Name));
        Assert.Equal(new DnfUpdateRow("python3-unbound-libs-and-a-very-long-name", "x86_64", "1.16.2-3.el9_3.5", "appstream"), rows[5]);
        Assert.Equal("1:3.0.7-28.el9_4", rows[4].Version);
    }

    [Fact]
    public void ParseSecurityAdvisories_SplitsNevraWithEpoch_WhenReadingDnf4List()
    {
        var rows = DnfOutputParser.ParseSecurityAdvisories(TestData.Read("dnf/rhel9-updateinfo-security.txt"));

        Assert.Equal(5, rows.Count);
        Assert.Equal(new DnfAdvisoryRow("RHSA-2024:7848", "medium", "openssl-libs", "1:3.0.7-28.el9_4", "x86_64"), rows[2]);
        Assert.Equal(new DnfAdvisoryRow("RHSA-2024:8856", "high", "kernel-core", "5.14.0-427.42.1.el9_4", "x86_64"), rows[1]);
    }

    [Fact]
    public void ParseSecurityAdvisories_ReadsDnf5Table_WhenTypeColumnIsPresent()
    {
        const string Text = "Name                  Type     Severity  Package                              Issued\nFEDORA-2024-1a2b3c4d5e security Moderate  curl-8.6.0-10.fc40.x86_64 2024-08-20 01:02:03\n";

        var row = Assert.Single(DnfOutputParser.ParseSecurityAdvisories(Text));

        Assert.Equal(new DnfAdvisoryRow("FEDORA-2024-1a2b3c4d5e", "medium", "curl", "8.6.0-10.fc40", "x86_64"), row);
    }

    [Fact]
    public void Combine_TakesHighestSeverityAndAllAdvisories_WhenPackageHasSeveral()
    {
        var rows = DnfOutputParser.ParseCheckUpdate(TestData.Read("dnf/rhel9-check-update.txt"));
        var advisories = DnfOutputParser.ParseSecurityAdvisories(TestData.Read("dnf/rhel9-updateinfo-security.txt")).ToLookup(a => a.Name);

        var updates = DnfUpdates.Combine(rows, advisories, new Dictionary<string, string> { ["openssl-libs"] = "1:3.0.7-27.el9" });

        var openssl = Assert.Single(updates, u => u.Name == "openssl-libs");
        Assert.True(openssl.IsSecurity);
        Assert.Equal("critical", openssl.Severity);
        Assert.Equal(["RHSA-2024:7848", "RHSA-2024:9001"], openssl.AdvisoryIds);
        Assert.Equal("1:3.0.7-27.el9", openssl.CurrentVersion);
        Assert.True(openssl.RequiresReboot);
        Assert.False(Assert.Single(updates, u => u.Name == "tzdata").IsSecurity);
        Assert.True(Assert.Single(updates, u => u.Name == "kernel-core").RequiresReboot);
    }

    [Fact]
    public void ParseTransaction_ReadsEverySection_WhenDnfAbortsAfterTheTable()
    {
        var rows = DnfOutputParser.ParseTransaction(TestData.Read("dnf/fedora40-upgrade-assumeno.txt"));

        Assert.Equal(7, rows.Count);
        Assert.Equal(new DnfTransactionRow("Upgrading", "python3-libdnf5-with-an-unusually-long-package-name", "x86_64", "5.1.17-2.fc40", "updates"), rows[4]);
        Assert.Equal(new DnfTransactionRow("Removing", "kernel-core", "x86_64", "6.8.5-301.fc40", "@anaconda"), rows[5]);
        Assert.Equal("Installing dependencies", rows[6].Section);
    }

    [Fact]
    public void ToPlan_UsesInstalledVersionsAsFrom_WhenUpgrading()
    {
        var rows = DnfOutputParser.ParseTransaction(TestData.Read("dnf/fedora40-upgrade-assumeno.txt"));

        var plan = DnfOutputParser.ToPlan(rows, new Dictionary<string, string> { ["curl"] = "8.6.0-7.fc40" });

        Assert.Contains(new("curl", "8.6.0-7.fc40", "8.6.0-10.fc40"), plan.Changes);
        Assert.Contains(new("kernel-core", "6.8.5-301.fc40", null), plan.Changes);
        Assert.Contains(new("kernel", null, "6.10.6-200.fc40"), plan.Changes);
        Assert.True(plan.RequiresReboot);
    }

    [Fact]
    public void ParseInstalled_SkipsGpgKeysAndFiltersFileAndLibraryRequires_WhenReadingRpmQa()
    {
        var packages = DnfOutputParser.ParseInstalled(TestData.Read("dnf/rhel9-rpm-qa.txt"));

        Assert.Equal(["bash", "openssl-libs"], packages.Select(p => p.Name));
        Assert.Equal(["filesystem"], packages[0].Dependencies);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1717409564), packages[0].InstalledAt);
        Assert.Equal("1:3.0.7-27.el9", packages[1].Version);
        Assert.Equal("Red Hat, Inc.", packages[1].Maintainer);
    }

    [Fact]
    public void ParseInfo_ReadsUrlAndLicense_WhenReadingRpmQi()
    {
        var info = DnfOutputParser.ParseInfo(TestData.Read("dnf/rhel9-rpm-qi-bash.txt"));

        Assert.Equal("https://www.gnu.org/software/bash", info["URL"]);
        Assert.Equal("GPLv3+", info["License"]);
        Assert.False(info.ContainsKey("interpreter that is compatible with the Bourne shell (sh)."));
    }

    [Theory]
    [InlineData("5.14.0-427.13.1.el9_4.x86_64", true)]
    [InlineData("5.14.0-427.42.1.el9_4.x86_64", false)]
    public void NewerKernelInstalled_ComparesNewestInstallWithRunning_WhenNeedsRestartingIsMissing(string running, bool expected)
    {
        const string Kernels = "1717409000\t5.14.0-427.13.1.el9_4.x86_64\n1730000000\t5.14.0-427.42.1.el9_4.x86_64\n";

        Assert.Equal(expected, DnfUpdates.NewerKernelInstalled(Kernels, running));
    }

    [Theory]
    [InlineData("Error: Unable to find a match: nosuchpkg", JobErrorCodes.PackageNotFound)]
    [InlineData("No match for argument: nosuchpkg", JobErrorCodes.PackageNotFound)]
    [InlineData("Error: \n Problem: conflicting requests\n  - nothing provides libfoo.so.1()(64bit)", JobErrorCodes.DependencyConflict)]
    [InlineData("Curl error (6): Couldn't resolve host name for https://mirrors.example/repomd.xml", JobErrorCodes.NetworkError)]
    [InlineData("Public key for curl-8.6.0-10.fc40.x86_64.rpm is not installed", JobErrorCodes.GpgError)]
    [InlineData("Error: This command has to be run with superuser privileges (under the root user on most systems).", JobErrorCodes.PermissionDenied)]
    public void ClassifyFailure_ReturnsJobErrorCode_WhenDnfPrintsKnownError(string stderr, string expected) =>
        Assert.Equal(expected, DnfOutputParser.ClassifyFailure(new CommandResult(1, string.Empty, stderr)).Code);
}
