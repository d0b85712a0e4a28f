using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;

namespace PatchPortal.Tests.Unit.Agent.Jobs;

public class JobEventHubTests
{
    private const string JobA = "0f8fad5b-d9cb-469f-a165-70867728950e";
    private const string JobB = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

    [Fact]
    public async Task Publish_DropsSlowSubscriberWithoutBlockingOthers_WhenItsBufferIsFull()
    {
        var hub = new JobEventHub(NullLogger<JobEventHub>.Instance);
        using var slow = hub.Subscribe(capacity: 8);
        using var fast = hub.Subscribe(capacity: 8);
        slow.WatchAll();
        fast.WatchAll();
        var received = new List<string>();
        var reading = Task.Run(async () =>
        {
            await foreach (var message in fast.Reader.ReadAllAsync())
            {
                received.Add(JsonSerializer.Deserialize<WsServerMessage>(message, AgentJson.Options)!.Payload.GetProperty("line").GetString()!);
                if (received.Count == 100)
                {
                    return;
                }
            }
        });

        // The slow subscriber never reads. Publishing must still go on at the fast one's pace, never waiting.
        for (var i = 0; i < 100; i++)
        {
            hub.Publish(JobA, WsMessageTypes.JobLog, new JobLogPayload(JobA, $"line {i}"));
            await Eventually.TrueAsync(() => fast.Reader.Count < fast.Capacity || reading.IsCompleted, "the fast reader to keep up");
        }

        await reading.WaitAsync(JobsTestContext.WaitTimeout);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"line {i}"), received);
        Assert.True(slow.IsDropped);
        Assert.True(slow.Dropped.IsCancellationRequested);
        Assert.False(fast.IsDropped);
        Assert.Equal(1, hub.SubscriberCount);
        // What was buffered before the drop can be drained, then the channel ends.
        var buffered = 0;
        while (slow.Reader.TryRead(out _))
        {
            buffered++;
        }

        Assert.Equal(8, buffered);
        Assert.True(slow.Reader.Completion.IsCompleted);
    }

    [Fact]
    public void Publish_ReachesOnlyWatchers_WhenSubscriberWatchesOneJob()
    {
        var hub = new JobEventHub(NullLogger<JobEventHub>.Instance);
        using var subscription = hub.Subscribe();
        subscription.Watch(JobA);

        hub.Publish(JobB, WsMessageTypes.JobLog, new JobLogPayload(JobB, "b"));
        hub.Publish(JobA, WsMessageTypes.JobLog, new JobLogPayload(JobA, "a"));

        Assert.True(subscription.Reader.TryRead(out var message));
        var parsed = JsonSerializer.Deserialize<WsServerMessage>(message, AgentJson.Options)!;
        Assert.Equal(WsMessageTypes.JobLog, parsed.Type);
        Assert.Equal(JobA, parsed.Payload.GetProperty("job_id").GetString());
        Assert.False(subscription.Reader.TryRead(out _));
    }

    [Fact]
    public void Publish_StopsReachingSubscriber_WhenItUnwatches()
    {
        var hub = new JobEventHub(NullLogger<JobEventHub>.Instance);
        using var subscription = hub.Subscribe();
        subscription.WatchAll();
        subscription.Unwatch(null);

        hub.Publish(JobA, WsMessageTypes.JobLog, new JobLogPayload(JobA, "a"));

        Assert.False(subscription.Reader.TryRead(out _));
    }

    [Fact]
    public void Dispose_RemovesSubscriber_WhenConnectionEnds()
    {
        var hub = new JobEventHub(NullLogger<JobEventHub>.Instance);
        var subscription = hub.Subscribe();

        subscription.Dispose();

        Assert.Equal(0, hub.SubscriberCount);
        Assert.True(subscription.Reader.Completion.IsCompleted);
    }
}
