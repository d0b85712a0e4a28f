using System.Runtime.CompilerServices;
using PatchPortal.Portal.Operations;

namespace PatchPortal.Tests.Unit.Portal.Operations;

/// <summary>Runs alone: the figure is process-wide, and other tests' allocations would blur it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WholeHeap
{
    public const string Name = "The whole managed heap";
}

[Collection(WholeHeap.Name)]
public sealed class PortalMetricsTests
{
    [Fact]
    public void LiveHeapBytes_ReportsWhatSurvivedTheLatestFullCollection()
    {
        // 64 MiB kept alive across a full blocking collection must show in the figure; dropped, it must leave it.
        var withBlocks = LiveHeapWhileHolding(64);

        Collect();
        var without = PortalMetrics.LiveHeapBytes();

        Assert.True(withBlocks - without >= 48L * 1024 * 1024, $"live heap {withBlocks} with the blocks, {without} without");
        Assert.True(without > 0);
    }

    /// <summary>
    /// Allocates and measures in a frame of its own, so that nothing on the test's stack still refers to the blocks
    /// afterwards (an unoptimised build keeps a method's temporaries alive until it returns).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long LiveHeapWhileHolding(int mebibytes)
    {
        var kept = new byte[mebibytes][];
        for (var i = 0; i < kept.Length; i++)
        {
            kept[i] = new byte[1024 * 1024];
            kept[i][i] = 1;
        }

        Collect();
        var live = PortalMetrics.LiveHeapBytes();
        GC.KeepAlive(kept);
        return live;
    }

    private static void Collect() => GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
}
