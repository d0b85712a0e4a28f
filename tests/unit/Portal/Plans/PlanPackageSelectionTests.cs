using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Plans;

namespace PatchPortal.Tests.Unit.Portal.Plans;

public sealed class PlanPackageSelectionTests
{
    private static readonly string[] Pending = ["openssl", "curl", "linux-image-6.12.0-2-amd64", "linux-image-amd64", "tzdata"];

    [Fact]
    public void ForHost_SelectsEverything_WhenScopeIsAllUpdatesWithoutExclusions()
    {
        var selection = PlanPackageSelection.ForHost(PlanPackageScope.AllUpdates, [], [], null)!;

        Assert.Equal((0, false, 0), (selection.Packages.Count, selection.SecurityOnly, selection.ExcludePackages.Count));
    }

    [Fact]
    public void ForHost_AsksSecurityOnly_WhenScopeIsSecurityOnly() =>
        Assert.True(PlanPackageSelection.ForHost(PlanPackageScope.SecurityOnly, [], ["tzdata"], null)!.SecurityOnly);

    [Fact]
    public void ForHost_ExpandsGlobExclusionsToPendingNames_WhenExclusionIsGlob()
    {
        var selection = PlanPackageSelection.ForHost(PlanPackageScope.AllUpdates, [], ["linux-image-*", "tzdata"], Pending)!;

        Assert.Equal(["linux-image-6.12.0-2-amd64", "linux-image-amd64", "tzdata"], selection.ExcludePackages);
    }

    [Fact]
    public void ForHost_CutsNamedPackagesToThosePending_WhenSomeAreNotPendingHere()
    {
        var selection = PlanPackageSelection.ForHost(PlanPackageScope.NamedPackages, ["openssl", "nginx"], [], Pending)!;

        Assert.Equal(["openssl"], selection.Packages);
    }

    [Fact]
    public void ForHost_ReturnsNull_WhenNoNamedPackageIsPendingHere() =>
        Assert.Null(PlanPackageSelection.ForHost(PlanPackageScope.NamedPackages, ["nginx"], [], Pending));

    [Fact]
    public void ForHost_ReturnsNull_WhenExclusionsRemoveEveryNamedPackage() =>
        Assert.Null(PlanPackageSelection.ForHost(PlanPackageScope.NamedPackages, ["linux-image-amd64"], ["linux-*"], Pending));

    [Fact]
    public void ForHost_Throws_WhenPendingListIsNeededButMissing() =>
        Assert.Throws<ArgumentException>(() => PlanPackageSelection.ForHost(PlanPackageScope.AllUpdates, [], ["linux-*"], null));
}
