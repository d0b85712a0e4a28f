using PatchPortal.Agent.Packages;
using PatchPortal.Agent.Packages.Dnf;

namespace PatchPortal.Tests.Unit.Agent.Packages;

public class DnfCommandsTests
{
    [Fact]
    public void Execute_PutsVersionedSpecsAfterDoubleDash_WhenInstallingWithoutWeakDeps()
    {
        var operation = new PackageOperation(OperationKind.Install, [new("nginx", "1:1.20.1-14.el9"), new("tmux")]) { NoRecommends = true };

        var spec = DnfCommands.Execute(Assert.Single(DnfCommands.Transactions(operation, null)), TimeSpan.FromMinutes(30));

        Assert.Equal("/usr/bin/dnf", spec.FileName);
        Assert.Equal(["-y", "--setopt=install_weak_deps=False", "install", "--", "nginx-1:1.20.1-14.el9", "tmux"], spec.Arguments);
    }

    [Fact]
    public void Plan_AnswersNo_WhenPlanningARemoval()
    {
        var spec = DnfCommands.Plan(Assert.Single(DnfCommands.Transactions(new PackageOperation(OperationKind.Remove, [new("tmux")]), null)));

        Assert.Equal(["--assumeno", "remove", "--", "tmux"], spec.Arguments);
    }

    [Fact]
    public void Transactions_IsBareUpgrade_WhenUpgradingEverything() =>
        Assert.Equal(["-y", "upgrade"], DnfCommands.Execute(Assert.Single(DnfCommands.Transactions(new PackageOperation(OperationKind.Upgrade, []), null)), TimeSpan.FromMinutes(1)).Arguments);

    [Fact]
    public void Transactions_NamesOnlySelectedPackages_WhenUpgradeIsSelective()
    {
        var transaction = Assert.Single(DnfCommands.Transactions(new PackageOperation(OperationKind.Upgrade, []) { SecurityOnly = true }, ["kernel-core", "openssl-libs"]));

        Assert.Equal(["-y", "upgrade", "--", "kernel-core", "openssl-libs"], DnfCommands.Execute(transaction, TimeSpan.FromMinutes(1)).Arguments);
    }

    [Fact]
    public void Transactions_DowngradesInstalledInstallsMissingAndRemovesUnversioned_WhenRollingBack()
    {
        var operation = new PackageOperation(OperationKind.Rollback, [new("curl", "7.76.1-29.el9_4"), new("tmux", "3.2a-5.el9"), new("nginx")]);
        var installed = new Dictionary<string, string?> { ["curl"] = "7.76.1-29.el9_4.1", ["tmux"] = null, ["nginx"] = "1:1.20.1-14.el9" };

        var transactions = DnfCommands.Transactions(operation, null, installed);

        Assert.Equal(
            [["downgrade", "--", "curl-7.76.1-29.el9_4"], ["install", "--", "tmux-3.2a-5.el9"], ["remove", "--", "nginx"]],
            transactions.Select(t => DnfCommands.Execute(t, TimeSpan.FromMinutes(1)).Arguments.Skip(1).ToArray()));
    }

    [Fact]
    public void ListInstalled_UsesConditionalEpochQueryFormat_WhenListingRpms()
    {
        var spec = DnfCommands.ListInstalled();

        Assert.Equal(["-qa", "--queryformat", DnfCommands.QueryFormat], spec.Arguments);
        Assert.Contains("%|EPOCH?{%{EPOCH}:}:{}|", DnfCommands.QueryFormat, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckUpdate_UsesCachedMetadataOnly_WhenListingUpdates() =>
        Assert.Equal(["-q", "-C", "check-update"], DnfCommands.CheckUpdate().Arguments);
}
