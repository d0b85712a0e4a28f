using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Tests.Unit.Agent.Jobs;

public sealed class JobStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);
    private readonly string _dataDir = Directory.CreateTempSubdirectory("patchportal-store-").FullName;
    private readonly FakeTimeProvider _time = new(T0.AddHours(1));

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    [Fact]
    public void LoadAll_ReturnsEveryField_WhenJobWasSaved()
    {
        var job = NewJob(JobStatuses.Completed);
        job.Changes = [new PackageChange("curl", "7.88.1-10", "7.88.1-10+deb12u5"), new PackageChange("nginx", null, "1.22.1-9")];
        job.AppendLog("Setting up curl");
        job.ExitCode = 0;
        job.RollbackJobId = Guid.NewGuid().ToString("D");
        var store = NewStore();

        store.Save(job);
        var loaded = Assert.Single(NewStore().LoadAll());

        Assert.Equal(job.Id, loaded.Id);
        Assert.Equal(JobStatuses.Completed, loaded.Status);
        Assert.Equal(job.CreatedAt, loaded.CreatedAt);
        Assert.Equal(job.CompletedAt, loaded.CompletedAt);
        Assert.Equal(job.Changes, loaded.Changes);
        Assert.Equal(["Setting up curl"], loaded.Logs);
        Assert.Equal(job.RollbackJobId, loaded.RollbackJobId);
        Assert.Equal("alice", loaded.RequestedBy);
        Assert.True(loaded.ExclusiveMode);
        Assert.NotNull(loaded.PackageOperation);
        Assert.Equal(OperationKind.Update, loaded.PackageOperation.Kind);
        Assert.Equal([new PackageTarget("curl", "7.88.1-10+deb12u5")], loaded.PackageOperation.Targets);
        Assert.True(loaded.PackageOperation.AllowDowngrade);
    }

    [Fact]
    public void Save_ReplacesTheFileAndLeavesNoTempFile_WhenJobIsSavedAgain()
    {
        var store = NewStore();
        var job = NewJob(JobStatuses.Running);
        store.Save(job);
        job.TransitionTo(JobStatuses.Failed, T0.AddMinutes(2), "broke");

        store.Save(job);

        Assert.Equal([job.Id + ".json"], Directory.GetFiles(store.Directory).Select(Path.GetFileName));
        Assert.Contains("\"status\":\"failed\"", File.ReadAllText(store.PathFor(job.Id)), StringComparison.Ordinal);
    }

    [Fact]
    public void LoadAll_KeepsThePreviousRecord_WhenAWriteWasCutShort()
    {
        var store = NewStore();
        var job = NewJob(JobStatuses.Completed);
        store.Save(job);
        // What a crash between writing the temp file and renaming it leaves behind.
        File.WriteAllText(store.PathFor(job.Id) + ".tmp", "{\"id\":");

        var loaded = Assert.Single(NewStore().LoadAll());

        Assert.Equal(JobStatuses.Completed, loaded.Status);
        Assert.False(File.Exists(store.PathFor(job.Id) + ".tmp"));
    }

    [Theory]
    [InlineData("running")]
    [InlineData("pending")]
    public void LoadAll_MarksJobInterruptedAndSavesIt_WhenAgentStoppedWhileItWasActive(string status)
    {
        var job = NewJob(status);
        NewStore().Save(job);

        var loaded = Assert.Single(NewStore().LoadAll());

        Assert.Equal(JobStatuses.Interrupted, loaded.Status);
        Assert.Contains("agent stopped", loaded.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(_time.GetUtcNow(), loaded.CompletedAt);
        var reloaded = Assert.Single(NewStore().LoadAll());
        Assert.Equal(JobStatuses.Interrupted, reloaded.Status);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("")]
    [InlineData("{\"id\":\"not-the-file-name\",\"operation\":\"install\",\"created_at\":\"2026-01-05T10:00:00Z\"}")]
    [InlineData("{\"operation\":\"install\"}")]
    [InlineData("{\"id\":\"ID\",\"operation\":\"reboot\",\"created_at\":\"2026-01-05T10:00:00Z\",\"logs\":null}")]
    public void LoadAll_MovesCorruptFileAsideAndLoadsTheRest_WhenAFileIsNotAJob(string content)
    {
        var store = NewStore();
        var good = NewJob(JobStatuses.Completed);
        store.Save(good);
        var badId = Guid.NewGuid().ToString("D");
        var badPath = store.PathFor(badId);
        File.WriteAllText(badPath, content.Replace("\"ID\"", $"\"{badId}\"", StringComparison.Ordinal));

        var loaded = NewStore().LoadAll();

        Assert.Equal(good.Id, Assert.Single(loaded).Id);
        Assert.False(File.Exists(badPath));
        Assert.Single(Directory.GetFiles(store.Directory, Path.GetFileName(badPath) + ".corrupt-*"));
    }

    [Fact]
    public void PathFor_Throws_WhenIdIsNotAGuid() =>
        Assert.Throws<ArgumentException>(() => NewStore().PathFor("../../etc/passwd"));

    private JobStore NewStore() =>
        new(Microsoft.Extensions.Options.Options.Create(new AgentOptions { DataDir = _dataDir }), _time, NullLogger<JobStore>.Instance);

    private static Job NewJob(string status)
    {
        var job = new Job
        {
            Id = Guid.NewGuid().ToString("D"),
            Operation = JobOperations.Update,
            CreatedAt = T0,
            UpdatedAt = T0,
            ExclusiveMode = true,
            RequestedBy = "alice",
            Packages = [new PackageSpec { Name = "curl", Version = "7.88.1-10+deb12u5" }],
            PackageOperation = new PackageOperation(OperationKind.Update, [new PackageTarget("curl", "7.88.1-10+deb12u5")]) { AllowDowngrade = true },
        };
        if (status != JobStatuses.Pending)
        {
            job.TransitionTo(JobStatuses.Running, T0.AddMinutes(1));
        }

        if (JobStatuses.IsFinal(status))
        {
            job.TransitionTo(status, T0.AddMinutes(2));
        }

        return job;
    }
}
