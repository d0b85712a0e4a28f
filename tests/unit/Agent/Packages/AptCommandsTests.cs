using PatchPortal.Agent.Packages;
using PatchPortal.Agent.Packages.Apt;

namespace PatchPortal.Tests.Unit.Agent.Packages;

public class AptCommandsTests
{
    [Fact]
    public void Transaction_PutsVersionedNamesAfterDoubleDash_WhenInstallingWithoutRecommends()
    {
        var operation = new PackageOperation(OperationKind.Install, [new("hello", "2.10-3"), new("jq")]) { NoRecommends = true };

        Assert.Equal(["--no-install-recommends", "install", "--", "hello=2.10-3", "jq"], AptCommands.Transaction(operation, null));
    }

    [Fact]
    public void Transaction_UsesOnlyUpgrade_WhenUpdatingOnePackage()
    {
        var operation = new PackageOperation(OperationKind.Update, [new("openssl")]);

        Assert.Equal(["install", "--only-upgrade", "--", "openssl"], AptCommands.Transaction(operation, null));
    }

    [Fact]
    public void Transaction_AllowsDowngrades_WhenUpdateAllowsDowngrade()
    {
        var operation = new PackageOperation(OperationKind.Update, [new("openssl", "3.0.11-1~deb12u2")]) { AllowDowngrade = true };

        Assert.Equal(["--allow-downgrades", "install", "--only-upgrade", "--", "openssl=3.0.11-1~deb12u2"], AptCommands.Transaction(operation, null));
    }

    [Theory]
    [InlineData(false, "remove")]
    [InlineData(true, "purge")]
    public void Transaction_UsesRemoveOrPurge_WhenRemoving(bool purge, string verb)
    {
        var operation = new PackageOperation(OperationKind.Remove, [new("hello", "2.10-3")]) { Purge = purge, NoRecommends = true };

        Assert.Equal([verb, "--", "hello"], AptCommands.Transaction(operation, null));
    }

    [Fact]
    public void Transaction_IsDistUpgrade_WhenUpgradingEverything()
    {
        var operation = new PackageOperation(OperationKind.Upgrade, []);

        Assert.Equal(["dist-upgrade"], AptCommands.Transaction(operation, null));
    }

    [Fact]
    public void Transaction_UpgradesOnlyTheResolvedNames_WhenUpgradeIsSelective()
    {
        var operation = new PackageOperation(OperationKind.Upgrade, []) { SecurityOnly = true };

        Assert.Equal(["install", "--only-upgrade", "--", "libssl3", "openssl"], AptCommands.Transaction(operation, ["libssl3", "openssl"]));
    }

    [Fact]
    public void Transaction_RestoresVersionsAndRemovesNewPackagesInOneInstall_WhenRollingBack()
    {
        var operation = new PackageOperation(OperationKind.Rollback, [new("openssl", "3.0.19-1~deb12u2"), new("hello")]);

        Assert.Equal(["--allow-downgrades", "install", "--", "openssl=3.0.19-1~deb12u2", "hello-"], AptCommands.Transaction(operation, null));
    }

    [Fact]
    public void Transaction_Throws_WhenInstallNameEndsWithDash()
    {
        var operation = new PackageOperation(OperationKind.Install, [new("hello-")]);

        Assert.Throws<ArgumentException>(() => AptCommands.Transaction(operation, null));
    }

    [Fact]
    public void Execute_RunsAptGetNonInteractivelyWithStatusFd_WhenInstalling()
    {
        var operation = new PackageOperation(OperationKind.Install, [new("hello")]);

        var spec = AptCommands.Execute(operation, null, TimeSpan.FromMinutes(5));

        Assert.Equal("/usr/bin/apt-get", spec.FileName);
        Assert.Equal(
            ["-y", "-q", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "-o", "APT::Status-Fd=1",
             "-o", "DPkg::Lock::Timeout=60", "install", "--", "hello"],
            spec.Arguments);
        Assert.Equal(TimeSpan.FromMinutes(5), spec.Timeout);
    }

    [Fact]
    public void Simulate_NeverTakesTheLock_WhenPlanning()
    {
        var spec = AptCommands.Simulate(new PackageOperation(OperationKind.Remove, [new("jq")]), null);

        Assert.Equal(["-s", "-o", "Debug::NoLocking=1", "remove", "--", "jq"], spec.Arguments);
    }

    [Fact]
    public void InstalledVersions_PassesNamesAfterDoubleDash_WhenQueryingDpkg()
    {
        var spec = AptCommands.InstalledVersions(["dpkg", "libc6:amd64"]);

        Assert.Equal(["-W", "-f=" + AptCommands.VersionFormat, "--", "dpkg", "libc6:amd64"], spec.Arguments);
    }
}
