using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Runs;
using PatchPortal.Tests.Unit.Portal.Data;

namespace PatchPortal.Tests.Unit.Portal.Infrastructure;

/// <summary>Two portal nodes' relays on one real PostgreSQL database, each with its own hubs.</summary>
[Collection(PostgresTests.Name)]
public sealed class PostgresEventRelayTests(PostgresFixture postgres) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly RunEventHub _runsA = new();
    private readonly RunEventHub _runsB = new();
    private PostgresEventRelay _nodeA = default!;
    private PostgresEventRelay _nodeB = default!;

    public async Task InitializeAsync()
    {
        var connection = await postgres.Cluster.CreateDatabaseAsync("relay");
        _nodeA = new PostgresEventRelay(connection, [_runsA], NullLogger<PostgresEventRelay>.Instance);
        _nodeB = new PostgresEventRelay(connection, [_runsB], NullLogger<PostgresEventRelay>.Instance);
        await _nodeA.StartAsync(CancellationToken.None);
        await _nodeB.StartAsync(CancellationToken.None);
        await _nodeA.Listening.WaitAsync(Timeout);
        await _nodeB.Listening.WaitAsync(Timeout);
    }

    public async Task DisposeAsync()
    {
        await _nodeA.StopAsync(CancellationToken.None);
        await _nodeB.StopAsync(CancellationToken.None);
        _nodeA.Dispose();
        _nodeB.Dispose();
    }

    [Fact]
    public async Task Publish_ReachesSubscribersOnTheOtherNode_WhenBothListen()
    {
        var runId = Guid.CreateVersion7();
        var received = new TaskCompletionSource<RunChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = _runsB.Subscribe(c => received.TrySetResult(c));

        _runsA.Publish(new RunChanged(runId, 42));

        Assert.Equal(new RunChanged(runId, 42), await received.Task.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Publish_DeliversToThePublishingNodeOnce_WhenItsOwnNotificationComesBack()
    {
        var seenByA = new ConcurrentQueue<RunChanged>();
        var seenByB = new ConcurrentQueue<RunChanged>();
        var marker = new RunChanged(Guid.CreateVersion7());
        var markerAtA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bothAtB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var a = _runsA.Subscribe(c =>
        {
            seenByA.Enqueue(c);
            if (c == marker)
            {
                markerAtA.TrySetResult();
            }
        });
        using var b = _runsB.Subscribe(c =>
        {
            seenByB.Enqueue(c);
            if (seenByB.Count == 2)
            {
                bothAtB.TrySetResult();
            }
        });
        var first = new RunChanged(Guid.CreateVersion7());
        var second = new RunChanged(first.RunId, 7);

        _runsA.Publish(first);
        _runsA.Publish(second);
        await bothAtB.Task.WaitAsync(Timeout);
        // Sent after node B saw both, so node A's listener has had its own two notifications before this one.
        _runsB.Publish(marker);
        await markerAtA.Task.WaitAsync(Timeout);

        Assert.Equal([first, second, marker], seenByA);
        Assert.Equal([first, second, marker], seenByB);
    }
}
