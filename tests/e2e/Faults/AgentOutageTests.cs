using System.Text.RegularExpressions;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Faults;

/// <summary>
/// An agent unreachable for part of a window, injected by stopping the real agent process by its handle: the run
/// retries the host (Retrying, with the next attempt's time) and patches it once the agent is back; a host whose agent
/// stays down until the cutoff ends Missed and says so, and nothing runs on it.
/// </summary>
[Collection(FaultsTests.Name)]
public sealed partial class AgentOutageTests(FaultsFixture fixture)
{
    [Fact]
    public async Task Run_RetriesThenPatchesTheHostOnce_WhenItsAgentIsDownAtTheStartAndBackBeforeTheCutoff()
    {
        var agent = fixture.Agents[FaultsFixture.ReturningHost];
        await agent.KillAsync();
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        var runId = await fixture.ArrangeRunAsync("Outage run", [FaultsFixture.ReturningHost], TimeSpan.FromMinutes(5));

        var retrying = await fixture.WaitForRunAsync(runId, r => r.Hosts.Any(h => h.State == HostRunState.Retrying && h.NextAttemptAt is not null),
            TimeSpan.FromSeconds(60), "the host to wait for its next attempt");
        var waiting = Assert.Single(retrying.Hosts);
        Assert.True(waiting.NextAttemptAt > waiting.StartedAt, $"next attempt {waiting.NextAttemptAt:O} is not after the failed one {waiting.StartedAt:O}");
        Assert.False(string.IsNullOrWhiteSpace(waiting.Error), "the failed attempt recorded no error");
        Assert.Null(waiting.AgentJobId);

        await agent.StartAgainAsync();

        var done = await fixture.WaitForRunAsync(runId, r => r.State is not (RunState.Scheduled or RunState.Running),
            TimeSpan.FromSeconds(90), "the run to end");
        var host = Assert.Single(done.Hosts);
        Assert.Equal((RunState.Succeeded, HostRunState.Succeeded), (done.State, host.State));
        Assert.True(host.Attempts >= 2, $"{host.Attempts} attempts");
        // The agent's own record: one patch job, the one the run followed.
        var jobs = await fixture.PatchJobsAsync(host.HostName, since);
        Assert.True(jobs.Count == 1 && jobs[0].JobId == host.AgentJobId, $"recorded {host.AgentJobId}; agent ran: {string.Join("; ", jobs)}");
    }

    [Fact]
    public async Task Run_MarksTheHostMissedWithTheReason_WhenItsAgentStaysDownUntilTheCutoff()
    {
        var agent = fixture.Agents[FaultsFixture.DownHost];
        await agent.KillAsync();
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        var runId = await fixture.ArrangeRunAsync("Missed run", [FaultsFixture.DownHost], TimeSpan.FromSeconds(20));
        var cutoff = (await fixture.GetRunAsync(runId)).CutoffAt;

        var done = await fixture.WaitForRunAsync(runId, r => r.State is not (RunState.Scheduled or RunState.Running),
            cutoff - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(60), "the run to end after its cutoff");

        var host = Assert.Single(done.Hosts);
        Assert.Equal((RunState.Failed, HostRunState.Missed), (done.State, host.State));
        Assert.Matches(MissedMessage(), host.Message);
        Assert.Equal(int.Parse(MissedMessage().Match(host.Message!).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), host.Attempts);
        Assert.True(host.Attempts >= 2, $"{host.Attempts} attempts: the host was not retried");
        Assert.False(string.IsNullOrWhiteSpace(host.Error), "no error recorded for the unreachable host");
        Assert.True(done.FinishedAt >= cutoff || host.FinishedAt >= cutoff - TimeSpan.FromSeconds(3),
            $"ended at {done.FinishedAt:O}, before the cutoff {cutoff:O}");
        Assert.False(string.IsNullOrWhiteSpace(done.StateReason), "the run says nothing about why it failed");

        // Back after the cutoff: the run has ended and starts nothing on it.
        await agent.StartAgainAsync();
        Assert.Empty(await fixture.PatchJobsAsync(host.HostName, since));
    }

    [GeneratedRegex(@"^Unreachable through the window after (\d+) attempts?$")]
    private static partial Regex MissedMessage();
}
