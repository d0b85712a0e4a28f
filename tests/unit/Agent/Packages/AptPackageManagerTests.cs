using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Machine;
using PatchPortal.Agent.Packages;
using PatchPortal.Agent.Packages.Apt;

namespace PatchPortal.Tests.Unit.Agent.Packages;

/// <summary>One real apt backend for the whole class: its cache is part of what is tested.</summary>
public sealed class AptBackendFixture : IDisposable
{
    public AptPackageManager Manager { get; } =
        new(new CommandRunner(), Options.Create(new AgentOptions()), NullLogger<AptPackageManager>.Instance);

    public void Dispose() => Manager.Dispose();
}

/// <summary>Drives the real apt/dpkg backend on this Debian host (read-only, except the hello install test).</summary>
public class AptPackageManagerTests(AptBackendFixture fixture) : IClassFixture<AptBackendFixture>
{
    private readonly AptPackageManager _apt = fixture.Manager;

    [Fact]
    public async Task ListInstalledAsync_ContainsDpkgAtItsDpkgQueryVersion_WhenRunOnDebian()
    {
        var expected = await DpkgQueryVersionAsync("dpkg");

        var installed = await _apt.ListInstalledAsync(CancellationToken.None);

        var dpkg = Assert.Single(installed, package => package.Name == "dpkg");
        Assert.Equal(expected, dpkg.Version);
        Assert.NotNull(dpkg.InstalledAt);
        Assert.NotNull(dpkg.Maintainer);
    }

    [Fact]
    public async Task ListInstalledAsync_ReturnsCachedList_WhenNothingChangedBetweenCalls()
    {
        var first = await _apt.ListInstalledAsync(CancellationToken.None);

        var second = await _apt.ListInstalledAsync(CancellationToken.None);

        Assert.Same(first, second);
    }

    [Fact]
    public async Task ListInstalledAsync_FillsAvailableVersion_WhenPackageHasPendingUpdate()
    {
        var updates = await _apt.ListUpdatesAsync(CancellationToken.None);
        var installed = await _apt.ListInstalledAsync(CancellationToken.None);

        var update = updates.First(update => update.CurrentVersion is not null);
        Assert.Equal(update.CandidateVersion, Assert.Single(installed, package => package.Name == update.Name).AvailableVersion);
    }

    [Fact]
    public async Task ListUpdatesAsync_IncludesSecurityUpdate_WhenHostIsBehindDebianSecurity()
    {
        var updates = await _apt.ListUpdatesAsync(CancellationToken.None);

        Assert.Contains(updates, update => update.IsSecurity && update.Source!.EndsWith("-security", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PlanAsync_ReturnsOneChangePerPendingUpdate_WhenUpgradingEverything()
    {
        var updates = await _apt.ListUpdatesAsync(CancellationToken.None);

        var plan = await _apt.PlanAsync(new PackageOperation(OperationKind.Upgrade, []), CancellationToken.None);

        Assert.Equal(updates.Count, plan.Changes.Count);
    }

    [Fact]
    public async Task PlanAsync_CoversEverySecurityUpdateAndNoExcludedOne_WhenSecurityOnlyWithExclusion()
    {
        var security = (await _apt.ListUpdatesAsync(CancellationToken.None)).Where(update => update.IsSecurity).Select(update => update.Name).ToList();
        var excluded = security[0];

        var plan = await _apt.PlanAsync(new PackageOperation(OperationKind.Upgrade, []) { SecurityOnly = true, Exclude = [excluded] }, CancellationToken.None);

        var planned = plan.Changes.Select(change => change.Package).ToHashSet();
        Assert.All(security.Skip(1), name => Assert.Contains(name, planned));
        Assert.All(plan.Changes, change => Assert.NotNull(change.To));
    }

    [Fact]
    public async Task GetPackageAsync_ReturnsNull_WhenPackageIsNotInstalled() =>
        Assert.Null(await _apt.GetPackageAsync("patchportal-no-such-package", CancellationToken.None));

    [Fact]
    public async Task GetPackageAsync_ReturnsFilesLicenseAndReverseDependencies_WhenPackageIsDpkg()
    {
        var detail = await _apt.GetPackageAsync("dpkg", CancellationToken.None);

        Assert.NotNull(detail);
        Assert.Contains("/usr/bin/dpkg", detail.Files);
        Assert.Equal("GPL-2+", detail.License);
        Assert.Contains("libdpkg-perl", detail.ReverseDependencies);
        Assert.Equal("https://wiki.debian.org/Teams/Dpkg", detail.Homepage);
    }

    [Fact]
    public async Task GetInstalledVersionsAsync_ReturnsNullForMissing_WhenOneNameIsNotInstalled()
    {
        var versions = await _apt.GetInstalledVersionsAsync(["dpkg", "patchportal-no-such-package"], CancellationToken.None);

        Assert.Equal(await DpkgQueryVersionAsync("dpkg"), versions["dpkg"]);
        Assert.Null(versions["patchportal-no-such-package"]);
    }

    [Fact]
    public async Task CheckDatabaseAsync_IsConsistent_WhenDpkgAuditIsSilent() =>
        Assert.Equal(new DatabaseState(true, null), await _apt.CheckDatabaseAsync(CancellationToken.None));

    [Fact]
    public async Task ExecuteAsync_ReturnsPackageNotFound_WhenPackageDoesNotExist()
    {
        var outcome = await _apt.ExecuteAsync(new PackageOperation(OperationKind.Install, [new("patchportal-no-such-package")]), new RecordingJobOutput(), CancellationToken.None);

        Assert.Equal("PKG_NOT_FOUND", outcome.ErrorCode);
    }

    [Fact]
    public async Task ExecuteAsync_InstallsAndRemovesHello_WhenRunForReal()
    {
        var hello = new PackageOperation(OperationKind.Install, [new("hello")]);
        var removeHello = new PackageOperation(OperationKind.Remove, [new("hello")]) { Purge = true };
        try
        {
            var output = new RecordingJobOutput();
            var installed = await _apt.ExecuteAsync(hello, output, CancellationToken.None);

            Assert.True(installed.Succeeded, installed.ErrorMessage + installed.Stderr);
            Assert.NotNull(await DpkgQueryVersionAsync("hello"));
            Assert.Contains(output.Lines, line => line.Line.Contains("Setting up hello", StringComparison.Ordinal));
            Assert.Equal(100, output.ProgressReports.Last().Percent);
            Assert.DoesNotContain("pmstatus:", installed.Stdout, StringComparison.Ordinal);
            Assert.Contains(await _apt.ListInstalledAsync(CancellationToken.None), package => package.Name == "hello");
        }
        finally
        {
            var removed = await _apt.ExecuteAsync(removeHello, new RecordingJobOutput(), CancellationToken.None);
            Assert.True(removed.Succeeded, removed.ErrorMessage);
        }

        Assert.Null(await DpkgQueryVersionAsync("hello"));
    }

    private static async Task<string?> DpkgQueryVersionAsync(string name)
    {
        var result = await new CommandRunner().RunAsync(new CommandSpec("/usr/bin/dpkg-query", ["-W", "-f=${db:Status-Abbrev}\t${Version}", "--", name]), null, CancellationToken.None);
        var fields = result.Stdout.Trim().Split('\t');
        return result.ExitCode == 0 && fields[0].StartsWith("ii", StringComparison.Ordinal) ? fields[1] : null;
    }
}
