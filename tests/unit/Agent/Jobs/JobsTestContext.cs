using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;
using PatchPortal.Agent.Machine;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Tests.Unit.Agent.Jobs;

/// <summary>A job manager over a temp data dir, a fake backend and a fake clock, with its worker started; disposing stops all.</summary>
internal sealed class JobsTestContext : IAsyncDisposable
{
    private JobWorker? _worker;

    public JobsTestContext(FakePackageManager? packages = null, string? dataDir = null, Action<AgentOptions>? configure = null)
    {
        DataDir = dataDir ?? Directory.CreateTempSubdirectory("patchportal-jobs-").FullName;
        Packages = packages ?? new FakePackageManager();
        Options = new AgentOptions { DataDir = DataDir };
        // Never a real reboot in tests.
        Options.Reboot.Command = ["/bin/true"];
        configure?.Invoke(Options);
        Hub = new JobEventHub(NullLogger<JobEventHub>.Instance);
        Store = new JobStore(Microsoft.Extensions.Options.Options.Create(Options), Time, NullLogger<JobStore>.Instance);
        Manager = new JobManager(Store, Packages, new CommandRunner(), Hub, Microsoft.Extensions.Options.Options.Create(Options), Time, NullLogger<JobManager>.Instance);
    }

    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(15);

    public string DataDir { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));

    public FakePackageManager Packages { get; }

    public AgentOptions Options { get; }

    public JobEventHub Hub { get; }

    public JobStore Store { get; }

    public JobManager Manager { get; }

    public async Task<JobsTestContext> StartAsync()
    {
        _worker = new JobWorker(Manager, Time);
        await _worker.StartAsync(CancellationToken.None);
        return this;
    }

    public JobDetail Submit(OperationKind kind, params PackageTarget[] targets)
    {
        var operation = kind switch
        {
            OperationKind.Install => JobOperations.Install,
            OperationKind.Update => JobOperations.Update,
            OperationKind.Remove => JobOperations.Remove,
            OperationKind.Upgrade => JobOperations.PatchApply,
            _ => JobOperations.Rollback,
        };
        return Manager.Submit(new JobRequest(operation, new PackageOperation(kind, targets))
        {
            Packages = [.. targets.Select(t => new PackageSpec { Name = t.Name, Version = t.Version })],
        });
    }

    public Task<JobDetail> WaitForStatusAsync(string jobId, string status) =>
        WaitForAsync(jobId, job => job.Status == status, $"status {status}");

    public async Task<JobDetail> WaitForAsync(string jobId, Func<JobDetail, bool> condition, string what)
    {
        JobDetail? last = null;
        await Eventually.TrueAsync(() => (last = Manager.Find(jobId)) is { } job && condition(job), $"job {jobId} to reach {what} (last: {last?.Status})");
        return last!;
    }

    public async Task StopWorkerAsync()
    {
        if (_worker is not null)
        {
            await _worker.StopAsync(CancellationToken.None);
            _worker.Dispose();
            _worker = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopWorkerAsync();

        Manager.Dispose();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}

/// <summary>Waits for a condition with a timeout (tests never sleep a fixed time and hope).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? JobsTestContext.WaitTimeout);
        while (!condition())
        {
            try
            {
                await Task.Delay(10, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }
        }
    }
}

/// <summary>A gate a fake backend waits at until the test opens it, and that tells the test when it has been reached.</summary>
internal sealed class Gate
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Reached => _reached.Task;

    public void Open() => _opened.TrySetResult();

    public async Task PassAsync(CancellationToken cancellationToken)
    {
        _reached.TrySetResult();
        await _opened.Task.WaitAsync(cancellationToken);
    }
}
