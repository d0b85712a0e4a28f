using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Runs;

namespace PatchPortal.Tests.Unit.Portal.Runs;

public sealed class RunRulesTests
{
    private static List<(Guid Id, string Name)> Hosts(int count) =>
        Enumerable.Range(1, count).Select(i => (Guid.CreateVersion7(), $"web-{i:00}")).ToList();

    private static Dictionary<int, string[]> Batches(IReadOnlyList<BatchSlot> slots) =>
        slots.GroupBy(s => s.BatchNumber).ToDictionary(g => g.Key, g => g.Select(s => s.HostName).ToArray());

    [Fact]
    public void Assign_PutsCanariesAloneInBatchZero_WhenPlanNamesCanaries()
    {
        var hosts = Hosts(5);

        var slots = RunRules.Assign(hosts, [hosts[3].Id, hosts[1].Id], batchSize: 2, batchSizeIsPercent: false);

        var batches = Batches(slots);
        Assert.Equal(["web-02", "web-04"], batches[0]);
        Assert.Equal(["web-01", "web-03"], batches[1]);
        Assert.Equal(["web-05"], batches[2]);
        Assert.All(slots, s => Assert.Equal(s.BatchNumber == 0, s.IsCanary));
    }

    [Fact]
    public void Assign_StartsOthersAtBatchZero_WhenThereAreNoCanaries()
    {
        var slots = RunRules.Assign(Hosts(3), [], batchSize: 2, batchSizeIsPercent: false);

        Assert.Equal([0, 0, 1], slots.Select(s => s.BatchNumber));
        Assert.DoesNotContain(slots, s => s.IsCanary);
    }

    [Fact]
    public void Assign_IgnoresCanaries_ThatAreNotTargets()
    {
        var slots = RunRules.Assign(Hosts(2), [Guid.CreateVersion7()], batchSize: 5, batchSizeIsPercent: false);

        Assert.Equal([0, 0], slots.Select(s => s.BatchNumber));
    }

    [Fact]
    public void Assign_OrdersHostsByName_WhenGivenInAnyOrder()
    {
        var hosts = Hosts(3);
        hosts.Reverse();

        var slots = RunRules.Assign(hosts, [], batchSize: 1, batchSizeIsPercent: false);

        Assert.Equal(["web-01", "web-02", "web-03"], slots.OrderBy(s => s.BatchNumber).Select(s => s.HostName));
    }

    [Theory]
    [InlineData(10, 25, 2)] // 2.5 rounds down
    [InlineData(10, 30, 3)]
    [InlineData(3, 10, 1)] // 0.3 would be no host at all: at least one
    [InlineData(8, 100, 8)]
    public void BatchSize_RoundsPercentOfAllHostsDownToAtLeastOne_WhenSizeIsPercent(int hosts, int percent, int expected) =>
        Assert.Equal(expected, RunRules.BatchSize(hosts, percent, isPercent: true));

    [Fact]
    public void Assign_SplitsByPercentOfAllHosts_WhenBatchSizeIsPercent()
    {
        var slots = RunRules.Assign(Hosts(10), [], batchSize: 25, batchSizeIsPercent: true);

        Assert.Equal([2, 2, 2, 2, 2], Batches(slots).OrderBy(b => b.Key).Select(b => b.Value.Length));
    }

    private static List<HostRun> Runs(params (HostRunState State, bool Canary)[] states) =>
        states.Select((s, i) => new HostRun { HostName = $"web-{i + 1}", State = s.State, IsCanary = s.Canary }).ToList();

    [Fact]
    public void HaltReason_IsNull_WhenFailuresStayWithinNumberLimit()
    {
        var hosts = Runs((HostRunState.Failed, false), (HostRunState.Succeeded, false), (HostRunState.Pending, false));

        Assert.Null(RunRules.HaltReason(hosts, maxFailures: 1, isPercent: false));
    }

    [Fact]
    public void HaltReason_Halts_WhenFailuresPassNumberLimit()
    {
        var hosts = Runs((HostRunState.Failed, false), (HostRunState.Failed, false), (HostRunState.Pending, false));

        Assert.Equal("Halted: 2 hosts failed, more than the plan allows (1).", RunRules.HaltReason(hosts, maxFailures: 1, isPercent: false));
    }

    [Fact]
    public void HaltReason_Halts_WhenFirstFailureMeetsLimitOfZero()
    {
        var hosts = Runs((HostRunState.Failed, false), (HostRunState.Pending, false));

        Assert.NotNull(RunRules.HaltReason(hosts, maxFailures: 0, isPercent: false));
    }

    [Fact]
    public void HaltReason_Halts_WhenFailuresPassPercentLimit()
    {
        var hosts = Runs([.. Enumerable.Repeat((HostRunState.Failed, false), 3), .. Enumerable.Repeat((HostRunState.Pending, false), 7)]);

        Assert.Equal("Halted: 3 hosts failed, more than the plan allows (20% of 10 hosts = 2).", RunRules.HaltReason(hosts, maxFailures: 20, isPercent: true));
        Assert.Null(RunRules.HaltReason(hosts[1..], maxFailures: 25, isPercent: true)); // 25% of 9 = 2, two failed
    }

    [Fact]
    public void HaltReason_CountsMissedHostsAsFailures_WhenHostsStayedUnreachable()
    {
        var hosts = Runs((HostRunState.Missed, false), (HostRunState.Failed, false), (HostRunState.Pending, false));

        Assert.NotNull(RunRules.HaltReason(hosts, maxFailures: 1, isPercent: false));
    }

    [Fact]
    public void HaltReason_Halts_WhenCanaryFailsWhateverTheLimit()
    {
        var hosts = Runs((HostRunState.Failed, true), (HostRunState.Pending, false), (HostRunState.Pending, false));

        Assert.Equal("Halted: canary host web-1 failed.", RunRules.HaltReason(hosts, maxFailures: 100, isPercent: true));
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(3, 40)]
    [InlineData(5, 120)] // 160 capped at the maximum
    [InlineData(40, 120)]
    public void RetryDelay_DoublesPerAttemptUpToMaximum_WhenAttemptsFail(int attempt, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), RunRules.RetryDelay(attempt, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(120)));

    [Fact]
    public void NextAttempt_IsBeforeCutoff_WhenBackOffFitsInWindow()
    {
        var now = new DateTimeOffset(2026, 11, 29, 1, 0, 0, TimeSpan.Zero);

        Assert.Equal(now.AddSeconds(40), RunRules.NextAttempt(3, now, now.AddMinutes(1), TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void NextAttempt_IsNull_WhenBackOffReachesCutoff()
    {
        var now = new DateTimeOffset(2026, 11, 29, 1, 0, 0, TimeSpan.Zero);

        Assert.Null(RunRules.NextAttempt(3, now, now.AddSeconds(40), TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5)));
    }

    [Theory]
    [InlineData(RebootPolicy.Never, true, true, false)]
    [InlineData(RebootPolicy.Always, false, false, true)]
    [InlineData(RebootPolicy.IfRequired, true, false, true)]
    [InlineData(RebootPolicy.IfRequired, false, true, true)]
    [InlineData(RebootPolicy.IfRequired, false, false, false)]
    public void NeedsReboot_FollowsPolicy_WhenJobOrHealthSaysRebootRequired(RebootPolicy policy, bool job, bool health, bool expected) =>
        Assert.Equal(expected, RunRules.NeedsReboot(policy, job, health));

    [Fact]
    public void EndState_IsSucceeded_WhenEveryHostSucceeded() =>
        Assert.Equal(RunState.Succeeded, RunRules.EndState(Runs((HostRunState.Succeeded, false), (HostRunState.Succeeded, false)), cancelled: false));

    [Fact]
    public void EndState_IsPartiallyFailed_WhenSomeHostsSucceeded() =>
        Assert.Equal(RunState.PartiallyFailed, RunRules.EndState(Runs((HostRunState.Succeeded, false), (HostRunState.Skipped, false)), cancelled: false));

    [Fact]
    public void EndState_IsFailed_WhenNoHostSucceeded() =>
        Assert.Equal(RunState.Failed, RunRules.EndState(Runs((HostRunState.Failed, false), (HostRunState.Missed, false)), cancelled: false));

    [Fact]
    public void EndState_IsCancelled_WhenOperatorCancelled() =>
        Assert.Equal(RunState.Cancelled, RunRules.EndState(Runs((HostRunState.Succeeded, false)), cancelled: true));
}
