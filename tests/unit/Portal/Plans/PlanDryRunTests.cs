using Microsoft.EntityFrameworkCore;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Plans;
using PatchPortal.Tests.Unit.Portal.Inventory;
using static PatchPortal.Tests.Unit.Portal.Plans.PlansTestContext;

namespace PatchPortal.Tests.Unit.Portal.Plans;

public sealed class PlanDryRunTests : IDisposable
{
    private readonly PlansTestContext _plans = new();

    public void Dispose() => _plans.Dispose();

    private async Task<List<PlanManifestHost>> ManifestAsync(Guid planId)
    {
        await using var db = _plans.Database.CreateDbContext();
        return await db.PlanManifestHosts.AsNoTracking().Where(m => m.PlanId == planId).OrderBy(m => m.HostName).ToListAsync();
    }

    [Fact]
    public async Task RunAsync_StoresOneManifestHostPerTarget_WithChangesAndRebootExpected()
    {
        var group = await _plans.AddGroupAsync("web");
        var web1 = await _plans.AddHostAsync("web-1", group);
        await _plans.AddHostAsync("web-2", group);
        _plans.Agents.For(web1.Id).DryRun = AgentCallResult.Ok(new DryRunManifest(
            [new PlannedChange("openssl", "3.5.1-1", "3.5.1-1+deb13u1"), new PlannedChange("linux-image-amd64", "6.12.0-1", "6.12.0-2")], true));
        var id = await _plans.CreateAsync(Input(null, group.Id));

        var result = await _plans.DryRun.RunAsync(id, Operator, CancellationToken.None);

        Assert.Equal("Dry run of 2 host(s): 3 package change(s), reboot expected on 1.", result.Notice);
        var manifest = await ManifestAsync(id);
        Assert.Equal(["web-1", "web-2"], manifest.Select(m => m.HostName));
        Assert.All(manifest, m => Assert.Equal((1, (string?)null, Now), (m.PlanRevision, m.Error, m.CheckedAt)));
        Assert.True(manifest[0].RequiresReboot);
        Assert.Equal(["linux-image-amd64 6.12.0-1 → 6.12.0-2", "openssl 3.5.1-1 → 3.5.1-1+deb13u1"],
            manifest[0].Changes.Select(c => $"{c.Package} {c.From} → {c.To}"));
    }

    [Fact]
    public async Task RunAsync_KeepsHostWithError_WhenAgentIsUnreachableOrNotEnrolled()
    {
        var group = await _plans.AddGroupAsync("web");
        var down = await _plans.AddHostAsync("web-1", group);
        var fresh = await _plans.Database.AddHostAsync("web-2", enrolled: false);
        await _plans.JoinAsync(fresh, group);
        _plans.Agents.For(down.Id).FailWith(new AgentFailure(AgentFailureKind.Unreachable, "connection refused"));
        var id = await _plans.CreateAsync(Input(null, group.Id));

        var result = await _plans.DryRun.RunAsync(id, Operator, CancellationToken.None);

        Assert.Equal("Dry run of 2 host(s): 0 package change(s); 2 host(s) could not answer.", result.Notice);
        var manifest = await ManifestAsync(id);
        Assert.Equal("the agent is unreachable (connection refused)", manifest[0].Error);
        Assert.Equal("The host has not enrolled its agent yet.", manifest[1].Error);
    }

    [Fact]
    public async Task RunAsync_ReplacesPreviousManifest_WhenRunAgainAfterAnEdit()
    {
        var group = await _plans.AddGroupAsync("web");
        var web1 = await _plans.AddHostAsync("web-1", group);
        var web2 = await _plans.AddHostAsync("web-2", group);
        var id = await _plans.CreateAsync(Input(null, group.Id));
        await _plans.DryRunAsync(id);
        await _plans.Service.UpdateAsync(id, Input(null) with { HostIds = [web2.Id] }, 1, Operator, CancellationToken.None);

        await _plans.DryRunAsync(id);

        var manifest = Assert.Single(await ManifestAsync(id));
        Assert.Equal(("web-2", 2), (manifest.HostName, manifest.PlanRevision));
        Assert.Single(_plans.Agents.Calls, c => c.HostId == web1.Id && c.Call == "dry-run");
    }

    [Fact]
    public async Task RunAsync_SendsPlansSelectionWithGlobsExpanded_WhenPlanExcludesByGlob()
    {
        var group = await _plans.AddGroupAsync("web");
        var host = await _plans.AddHostAsync("web-1", group);
        _plans.Agents.For(host.Id).Patches = AgentCallResult.Ok<IReadOnlyList<PatchDto>>(
            [ScriptedAgentClient.Patch("openssl", "1", "2", security: true), ScriptedAgentClient.Patch("linux-image-amd64", "1", "2", security: true)]);
        var id = await _plans.CreateAsync(Input(null, group.Id) with { Scope = PlanPackageScope.SecurityOnly, ExcludedPackages = ["linux-image-*", "tzdata"] });

        await _plans.DryRunAsync(id);

        var (_, selection) = Assert.Single(_plans.Agents.Selections);
        Assert.Equal((true, 0), (selection.SecurityOnly, selection.Packages.Count));
        Assert.Equal(["linux-image-amd64", "tzdata"], selection.ExcludePackages);
    }

    [Fact]
    public async Task RunAsync_RecordsNothingToChangeWithoutAskingAgent_WhenNoNamedPackageIsPendingThere()
    {
        var group = await _plans.AddGroupAsync("web");
        var host = await _plans.AddHostAsync("web-1", group);
        _plans.Agents.For(host.Id).Patches = AgentCallResult.Ok<IReadOnlyList<PatchDto>>([ScriptedAgentClient.Patch("curl", "1", "2", security: false)]);
        var id = await _plans.CreateAsync(Input(null, group.Id) with { Scope = PlanPackageScope.NamedPackages, Packages = ["openssl"] });

        await _plans.DryRunAsync(id);

        Assert.DoesNotContain(_plans.Agents.Calls, c => c.Call == "dry-run");
        var manifest = Assert.Single(await ManifestAsync(id));
        Assert.Equal((0, (string?)null), (manifest.Changes.Count, manifest.Error));
    }

    [Fact]
    public async Task RunAsync_AsksAtMostConfiguredAgentsAtOnce_WhenManyHostsAreTargeted()
    {
        var group = await _plans.AddGroupAsync("web");
        _plans.Options.DryRunConcurrency = 3;
        var busy = 0;
        var peak = 0;
        for (var i = 0; i < 10; i++)
        {
            var host = await _plans.AddHostAsync($"web-{i}", group);
            _plans.Agents.For(host.Id).BeforeDryRun = async ct =>
            {
                var now = Interlocked.Increment(ref busy);
                InterlockedMax(ref peak, now);
                await Task.Delay(20, ct);
                Interlocked.Decrement(ref busy);
            };
        }

        var id = await _plans.CreateAsync(Input(null, group.Id));

        await _plans.DryRunAsync(id);

        Assert.Equal(10, (await ManifestAsync(id)).Count);
        Assert.InRange(peak, 1, 3);
    }

    [Fact]
    public async Task RunAsync_ReportsProgressPerHost_WhileItRuns()
    {
        var group = await _plans.AddGroupAsync("web");
        await _plans.AddHostAsync("web-1", group);
        await _plans.AddHostAsync("web-2", group);
        _plans.Options.DryRunConcurrency = 1;
        var id = await _plans.CreateAsync(Input(null, group.Id));
        var seen = new List<(int Done, int Total)>();
        using var subscription = _plans.Events.Subscribe(change =>
        {
            if (change.What == PlanChangeKinds.DryRunProgress && _plans.Board.Get(id) is { } progress)
            {
                lock (seen)
                {
                    seen.Add((progress.Done, progress.Total));
                }
            }
        });

        await _plans.DryRunAsync(id);

        Assert.Equal([(0, 2), (1, 2), (2, 2)], seen.Order());
        Assert.Null(_plans.Board.Get(id));
    }

    [Fact]
    public async Task RunAsync_AuditsAndAddsToTimeline_WhenFinished()
    {
        var group = await _plans.AddGroupAsync("web");
        await _plans.AddHostAsync("web-1", group);
        var id = await _plans.CreateAsync(Input(null, group.Id));

        await _plans.DryRunAsync(id);

        var audit = Assert.Single(await _plans.AuditAsync(AuditActions.PlanDryRun));
        Assert.Equal(Operator.Name, audit.Actor);
        Assert.Contains("\"changes\":1", audit.AfterJson, StringComparison.Ordinal);
        Assert.Equal("Revision 1: Dry run of 1 host(s): 1 package change(s).", (await _plans.TimelineAsync(id))[^1].Message);
    }

    [Fact]
    public async Task RunAsync_RefusesAndAudits_WhenPlanIsPendingWithCurrentManifest()
    {
        var group = await _plans.AddGroupAsync("web");
        await _plans.AddHostAsync("web-1", group);
        var id = await _plans.SubmittedAsync(Input(null, group.Id));

        var result = await _plans.DryRun.RunAsync(id, Operator, CancellationToken.None);

        Assert.Equal("The plan is pending approval and its dry run is up to date; approvers decide on it as it is.", result.Error);
        Assert.Single(await _plans.AuditAsync(AuditActions.PlanActionRefused));
    }

    [Fact]
    public async Task RunAsync_Refuses_WhenADryRunOfThePlanIsUnderWay()
    {
        var group = await _plans.AddGroupAsync("web");
        var host = await _plans.AddHostAsync("web-1", group);
        var release = new TaskCompletionSource();
        var started = new TaskCompletionSource();
        _plans.Agents.For(host.Id).BeforeDryRun = async _ =>
        {
            started.TrySetResult();
            await release.Task;
        };
        var id = await _plans.CreateAsync(Input(null, group.Id));
        var first = _plans.DryRun.RunAsync(id, Operator, CancellationToken.None);
        await started.Task;

        var second = await _plans.DryRun.RunAsync(id, Operator, CancellationToken.None);
        var submit = await _plans.Service.SubmitAsync(id, 1, Operator, CancellationToken.None);
        release.SetResult();

        Assert.Equal("A dry run of this plan is already under way.", second.Error);
        Assert.Equal("A dry run of this plan is still running; submit it when the dry run has finished.", submit.Error);
        Assert.True((await first).Succeeded);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
