using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Agent.Machine;
using PatchPortal.Tests.Unit.Portal.Operations;

namespace PatchPortal.Tests.Unit.Agent.Machine;

public sealed class IdleMemoryTrimmerDecisionTests
{
    private const long MiB = 1L << 20;

    [Theory]
    [InlineData(100 * MiB, 100 * MiB, 90 * MiB, true)] // quiet now, 10 MiB since the last trim
    [InlineData(100 * MiB, 99 * MiB + 1, 90 * MiB, true)] // just under a MiB in the interval is still quiet
    [InlineData(100 * MiB, 99 * MiB, 90 * MiB, false)] // a MiB in the interval: busy, trim later
    [InlineData(100 * MiB, 50 * MiB, 0, false)] // under load: never
    [InlineData(100 * MiB, 100 * MiB, 97 * MiB, false)] // quiet, but too little allocated since the last trim
    [InlineData(100 * MiB, 100 * MiB, 96 * MiB, true)] // exactly the worthwhile amount
    public void ShouldTrim_OnlyWhenQuietAfterWork(long allocated, long seen, long trimmed, bool expected) =>
        Assert.Equal(expected, IdleMemoryTrimmer.ShouldTrim(allocated, seen, trimmed));
}

/// <summary>Runs alone: the trimmer reads the process's allocation counter, and other tests' allocations would make it busy.</summary>
[Collection(WholeHeap.Name)]
public sealed class IdleMemoryTrimmerTests
{
    [Fact]
    public void Check_TrimsOnceAfterWork_ThenWaitsForMoreWork()
    {
        var trimmer = new IdleMemoryTrimmer(TimeProvider.System, NullLogger<IdleMemoryTrimmer>.Instance);
        Work(16);

        Assert.False(trimmer.Check()); // the interval that saw the work is busy
        var collections = GC.CollectionCount(2);
        Assert.True(trimmer.Check()); // the next one is quiet: trim
        Assert.Equal(collections + 1, GC.CollectionCount(2));
        Assert.False(trimmer.Check()); // nothing allocated since
    }

    [Fact]
    public void Check_GivesCommittedMemoryBack()
    {
        var trimmer = new IdleMemoryTrimmer(TimeProvider.System, NullLogger<IdleMemoryTrimmer>.Instance);
        Work(64);
        trimmer.Check();
        var before = GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes;

        Assert.True(trimmer.Check());
        var after = GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes;

        Assert.True(after <= before, $"committed {before} before the trim, {after} after");
    }

    [Fact]
    public async Task Service_ChecksEveryInterval_OnItsTimeProvider()
    {
        var time = new FakeTimeProvider();
        using var trimmer = new IdleMemoryTrimmer(time, NullLogger<IdleMemoryTrimmer>.Instance);
        await trimmer.StartAsync(CancellationToken.None);
        Work(16);

        var collections = GC.CollectionCount(2);

        // The first tick sees the work (busy); a later, quiet one trims. The service starts its timer on a thread of
        // its own, so time moves on one interval at a time until it has.
        await WaitForAsync(() =>
        {
            time.Advance(IdleMemoryTrimmer.Interval);
            return GC.CollectionCount(2) > collections;
        });

        Assert.True(GC.CollectionCount(2) > collections, "no full collection after quiet intervals");
        await trimmer.StopAsync(CancellationToken.None);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 300 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }

    /// <summary>Allocates and drops <paramref name="mebibytes"/> MiB in a frame of its own.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Work(int mebibytes)
    {
        for (var i = 0; i < mebibytes; i++)
        {
            var block = new byte[1024 * 1024];
            block[i] = 1;
            GC.KeepAlive(block);
        }
    }
}
