using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Packages;
using PatchPortal.Agent.Packages.Simulated;

namespace PatchPortal.Tests.Unit.Agent.Packages;

public sealed class SimulatedPackageManagerTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("patchportal-sim-").FullName;

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    [Fact]
    public async Task ListInstalledAsync_ReturnsSameSetForSameSeed_WhenCreatedTwice()
    {
        var first = await Create().ListInstalledAsync(CancellationToken.None);
        var second = await Create(dataDir: Directory.CreateTempSubdirectory("patchportal-sim-").FullName).ListInstalledAsync(CancellationToken.None);

        Assert.Equal(150, first.Count);
        Assert.Equal(first.Select(p => (p.Name, p.Version)), second.Select(p => (p.Name, p.Version)));
        Assert.Contains(first, p => p.Name == "openssl");
    }

    [Fact]
    public async Task ListUpdatesAsync_IncludesSecurityKernelNeedingReboot_WhenUpdatesArePending()
    {
        var updates = await Create().ListUpdatesAsync(CancellationToken.None);

        Assert.Equal(12, updates.Count);
        var kernel = Assert.Single(updates, u => u.Name == "linux-image-amd64");
        Assert.True(kernel.IsSecurity);
        Assert.True(kernel.RequiresReboot);
        Assert.Contains(updates, u => !u.IsSecurity);
    }

    [Fact]
    public async Task ExecuteAsync_PersistsUpgradeAndSetsRebootFlag_WhenKernelIsUpgraded()
    {
        var manager = Create();
        var kernel = Assert.Single(await manager.ListUpdatesAsync(CancellationToken.None), u => u.Name == "linux-image-amd64");
        var output = new RecordingJobOutput();

        var outcome = await manager.ExecuteAsync(new PackageOperation(OperationKind.Update, [new("linux-image-amd64")]), output, CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Equal(100, output.ProgressReports.Last().Percent);
        Assert.Contains(output.Lines, l => l.Line.StartsWith("Setting up linux-image-amd64", StringComparison.Ordinal));
        var restarted = Create();
        Assert.Equal(kernel.CandidateVersion, (await restarted.GetInstalledVersionsAsync(["linux-image-amd64"], CancellationToken.None))["linux-image-amd64"]);
        Assert.True(await restarted.IsRebootRequiredAsync(CancellationToken.None));
        Assert.DoesNotContain(await restarted.ListUpdatesAsync(CancellationToken.None), u => u.Name == "linux-image-amd64");
    }

    [Fact]
    public async Task ExecuteAsync_InstallsThenRemoves_WhenPackageIsInTheRepository()
    {
        var manager = Create();

        await manager.ExecuteAsync(new PackageOperation(OperationKind.Install, [new("hello")]), new RecordingJobOutput(), CancellationToken.None);
        var installed = await manager.GetPackageAsync("hello", CancellationToken.None);
        await manager.ExecuteAsync(new PackageOperation(OperationKind.Remove, [new("hello")]), new RecordingJobOutput(), CancellationToken.None);

        Assert.NotNull(installed);
        Assert.Null(await manager.GetPackageAsync("hello", CancellationToken.None));
    }

    [Fact]
    public async Task ExecuteAsync_ReturnsPackageNotFound_WhenRepositoryDoesNotHaveIt()
    {
        var outcome = await Create().ExecuteAsync(new PackageOperation(OperationKind.Install, [new("no-such-thing")]), new RecordingJobOutput(), CancellationToken.None);

        Assert.Equal("PKG_NOT_FOUND", outcome.ErrorCode);
    }

    [Fact]
    public async Task ExecuteAsync_FailsWithPackageManagerErrorAndChangesNothing_WhenFailureRateIsOne()
    {
        var manager = Create(failureRate: 1.0);

        var outcome = await manager.ExecuteAsync(new PackageOperation(OperationKind.Upgrade, []), new RecordingJobOutput(), CancellationToken.None);

        Assert.Equal("PKG_MANAGER_ERROR", outcome.ErrorCode);
        Assert.Equal(12, (await manager.ListUpdatesAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task PlanAsync_SkipsExcludedAndNonSecurity_WhenSecurityOnlyWithExclusion()
    {
        var manager = Create();
        var security = (await manager.ListUpdatesAsync(CancellationToken.None)).Where(u => u.IsSecurity).Select(u => u.Name).ToList();

        var plan = await manager.PlanAsync(new PackageOperation(OperationKind.Upgrade, []) { SecurityOnly = true, Exclude = ["linux-image-amd64"] }, CancellationToken.None);

        Assert.Equal(security.Where(n => n != "linux-image-amd64"), plan.Changes.Select(c => c.Package));
        Assert.False(plan.RequiresReboot);
    }

    [Fact]
    public async Task ExecuteAsync_ThrowsPromptly_WhenCancelledDuringALongJob()
    {
        var manager = Create(jobDurationMs: 600_000);
        using var cancellation = new CancellationTokenSource();
        var output = new RecordingJobOutput();
        var started = DateTime.UtcNow;

        var job = manager.ExecuteAsync(new PackageOperation(OperationKind.Upgrade, []), output, cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        Assert.Equal(12, (await manager.ListUpdatesAsync(CancellationToken.None)).Count);
    }

    private SimulatedPackageManager Create(double failureRate = 0, int jobDurationMs = 0, string? dataDir = null) =>
        new(Options.Create(new AgentOptions
        {
            DataDir = dataDir ?? _dataDir,
            Simulated = new SimulatedOptions { Seed = 7, PackageCount = 150, PendingUpdates = 12, FailureRate = failureRate, JobDurationMs = jobDurationMs },
        }), NullLogger<SimulatedPackageManager>.Instance);
}
