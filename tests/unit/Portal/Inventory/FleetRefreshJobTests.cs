using Hangfire;
using Hangfire.Storage.SQLite;
using Microsoft.Extensions.Logging.Abstractions;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Inventory;

/// <summary>The fleet polls and "refresh now" against Hangfire's real client and SQLite storage (no server runs the jobs).</summary>
[Collection(HangfireGlobalState.Name)]
public sealed class FleetRefreshJobTests : IDisposable
{
    private readonly InventoryDatabase _database = new();
    private readonly SQLiteStorage _storage;
    private readonly BackgroundJobClient _client;

    public FleetRefreshJobTests()
    {
        _storage = new SQLiteStorage(Path.Combine(_database.Directory, "hangfire.db"), new SQLiteStorageOptions());
        _client = new BackgroundJobClient(_storage);
    }

    public void Dispose()
    {
        _storage.Dispose();
        _database.Dispose();
    }

    private FleetRefreshJob Job(HostEventHub? events = null) =>
        new(_database, _client, _storage, events ?? new HostEventHub(), NullLogger<FleetRefreshJob>.Instance);

    [Fact]
    public async Task PollAsync_EnqueuesOneRefreshPerEnrolledHostOnInventoryQueue_WhenFleetHasHosts()
    {
        var web1 = await _database.AddHostAsync("web-1");
        var web2 = await _database.AddHostAsync("web-2");
        await _database.AddHostAsync("new-1", enrolled: false);

        await Job().PollAsync(CancellationToken.None);

        var queued = Enqueued();
        Assert.Equal(2, queued.Count);
        Assert.All(queued, j => Assert.Equal((typeof(HostRefreshJob), nameof(HostRefreshJob.RefreshAsync)), (j.Type, j.Method)));
        Assert.Equal(new[] { web1.Id, web2.Id }.Order(), queued.Select(j => j.HostId).Order());
        Assert.Equal(0, _storage.GetMonitoringApi().EnqueuedCount(InventoryQueues.Default));
    }

    [Fact]
    public async Task PollHealthAsync_EnqueuesOneHealthCheckPerEnrolledHost_WhenFleetHasHosts()
    {
        var web1 = await _database.AddHostAsync("web-1");
        await _database.AddHostAsync("new-1", enrolled: false);

        await Job().PollHealthAsync(CancellationToken.None);

        var queued = Assert.Single(Enqueued());
        Assert.Equal((typeof(HostHealthJob), nameof(HostHealthJob.CheckAsync), web1.Id), (queued.Type, queued.Method, queued.HostId));
    }

    [Fact]
    public async Task PollHealthAsync_SkipsRound_WhenInventoryQueueStillHoldsEarlierJobs()
    {
        var web1 = await _database.AddHostAsync("web-1");
        await _database.AddHostAsync("web-2");
        new HangfireHostRefreshScheduler(_client).RefreshNow([web1.Id]);

        await Job().PollHealthAsync(CancellationToken.None);

        var queued = Assert.Single(Enqueued());
        Assert.Equal((typeof(HostRefreshJob), web1.Id), (queued.Type, queued.HostId));
    }

    [Fact]
    public async Task PollAsync_MarksUnenrolledHostsPendingEnrolmentInSql_WhenPolling()
    {
        var waiting = await _database.AddHostAsync("new-1", enrolled: false);
        var changes = new List<HostChanged>();
        var events = new HostEventHub();
        using var subscription = events.Subscribe(changes.Add);
        _database.ClearSql();

        await Job(events).PollAsync(CancellationToken.None);

        var saved = await _database.GetHostAsync(waiting.Id);
        Assert.Equal(HostHealth.PendingEnrolment, saved.Health);
        Assert.Contains(_database.Sql, s => s.Contains("UPDATE \"Hosts\"", StringComparison.Ordinal));
        Assert.Equal([new HostChanged(waiting.Id, HostHealthJob.ChangeKind)], changes);
    }

    [Fact]
    public void RefreshNow_EnqueuesOneRefreshPerDistinctHost_WhenAskedForSelection()
    {
        var a = Guid.CreateVersion7();
        var b = Guid.CreateVersion7();
        var scheduler = new HangfireHostRefreshScheduler(_client);

        scheduler.RefreshNow([a, b, a]);

        Assert.Equal(new[] { a, b }.Order(), Enqueued().Select(j => j.HostId).Order());
    }

    private List<(Type Type, string Method, Guid HostId)> Enqueued() =>
        _storage.GetMonitoringApi().EnqueuedJobs(InventoryQueues.Inventory, 0, 1000)
            .Select(j => (j.Value.Job.Type, j.Value.Job.Method.Name, (Guid)j.Value.Job.Args[0]))
            .ToList();
}
