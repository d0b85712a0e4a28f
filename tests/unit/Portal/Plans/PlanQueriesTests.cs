using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Plans;
using static PatchPortal.Tests.Unit.Portal.Plans.PlansTestContext;

namespace PatchPortal.Tests.Unit.Portal.Plans;

public sealed class PlanQueriesTests : IDisposable
{
    private readonly PlansTestContext _plans = new();

    public void Dispose() => _plans.Dispose();

    private async Task<HostGroup> GroupWithHostAsync()
    {
        var group = await _plans.AddGroupAsync("web");
        await _plans.AddHostAsync("web-1", group);
        return group;
    }

    private async Task<IReadOnlyList<string>> NamesAsync(PlanFilter filter, PlanSort? sort = null) =>
        (await _plans.Queries.GetPageAsync(filter, sort ?? new PlanSort(PlanSort.Name), 0, 50, CancellationToken.None)).Items.Select(r => r.Name).ToList();

    [Fact]
    public async Task GetPageAsync_ListsOnlyPlansTheApproverMayDecide_WhenWaitingForMeIsSet()
    {
        var group = await GroupWithHostAsync();
        await _plans.CreateAsync(Input(null, group.Id) with { Name = "draft" });
        await _plans.SubmittedAsync(Input(null, group.Id) with { Name = "waiting" });
        var decided = await _plans.SubmittedAsync(Input(null, group.Id) with { Name = "decided" });
        await _plans.Service.RejectAsync(decided, 1, "no", Approver, CancellationToken.None);
        var own = await _plans.CreateAsync(Input(null, group.Id) with { Name = "own" }, Approver);
        await _plans.DryRunAsync(own);
        await _plans.Service.SubmitAsync(own, 1, Approver, CancellationToken.None);

        Assert.Equal(["waiting"], await NamesAsync(new PlanFilter(WaitingFor: Approver.Name)));
        Assert.Equal(["own", "waiting"], await NamesAsync(new PlanFilter(WaitingFor: SecondApprover.Name)));
    }

    [Fact]
    public async Task GetPageAsync_FiltersByStateRequesterAndText_WhenSet()
    {
        var group = await GroupWithHostAsync();
        await _plans.CreateAsync(Input(null, group.Id) with { Name = "Kernel update", Description = "reboots" });
        await _plans.CreateAsync(Input(null, group.Id) with { Name = "openssl" }, Approver);
        await _plans.SubmittedAsync(Input(null, group.Id) with { Name = "curl" });

        Assert.Equal(["curl"], await NamesAsync(new PlanFilter(State: PlanState.PendingApproval)));
        Assert.Equal(["openssl"], await NamesAsync(new PlanFilter(RequestedBy: "APPROVER@")));
        Assert.Equal(["Kernel update"], await NamesAsync(new PlanFilter(Search: "REBOOT")));
    }

    [Fact]
    public async Task GetPageAsync_PagesAndSortsInSql_WhenAskedForSecondPage()
    {
        var group = await GroupWithHostAsync();
        foreach (var name in new[] { "c", "a", "b" })
        {
            await _plans.CreateAsync(Input(null, group.Id) with { Name = name });
        }

        var page = await _plans.Queries.GetPageAsync(new PlanFilter(), new PlanSort(PlanSort.Name, Descending: true), 1, 2, CancellationToken.None);

        Assert.Equal((3, "a"), (page.Total, Assert.Single(page.Items).Name));
    }

    [Fact]
    public async Task GetDetailAsync_CountsApprovalsOfCurrentRevisionOnly_WhenPlanWasEdited()
    {
        var group = await _plans.AddGroupAsync("prod", 2);
        await _plans.AddHostAsync("prod-1", group);
        var window = await _plans.AddWindowAsync("nightly", At(0, 22));
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        await _plans.Service.ApproveAsync(id, 1, "ok", Approver, CancellationToken.None);
        await _plans.Service.UpdateAsync(id, Input(window, group.Id) with { BatchSize = 2 }, 1, Operator, CancellationToken.None);

        var detail = (await _plans.Queries.GetDetailAsync(id, CancellationToken.None))!;

        Assert.Equal((2, 0, 1, false), (detail.Revision, detail.CurrentApprovals, detail.Decisions.Count, detail.ManifestIsCurrent));
        Assert.Equal(("nightly", 1), (detail.WindowName, detail.TargetHostCount));
        Assert.Equal(PlanEventKinds.Edited, detail.Timeline[0].Kind);
    }

    [Fact]
    public async Task GetManifestAsync_FlattensChangesAndErrors_WhenDryRunRan()
    {
        var group = await _plans.AddGroupAsync("web");
        await _plans.AddHostAsync("web-1", group);
        var down = await _plans.AddHostAsync("web-2", group);
        _plans.Agents.For(down.Id).FailWith(new PatchPortal.Portal.Agents.AgentFailure(PatchPortal.Portal.Agents.AgentFailureKind.Timeout, "30 s"));
        var id = await _plans.CreateAsync(Input(null, group.Id));
        await _plans.DryRunAsync(id);

        var rows = await _plans.Queries.GetManifestAsync(id, CancellationToken.None);

        Assert.Equal(
            [("web-1", "openssl", (string?)null), ("web-2", null, "the agent did not answer in time (30 s)")],
            rows.Select(r => (r.Host, r.Package, r.Error)));
    }

    [Fact]
    public async Task GetUpcomingOccurrencesAsync_ListsFutureOccurrences_WhenWindowRecurs()
    {
        var window = await _plans.AddWindowAsync("nightly", At(-3, 22));

        var occurrences = await _plans.Queries.GetUpcomingOccurrencesAsync(window.Id, 3, CancellationToken.None);

        Assert.Equal([At(0, 22), At(1, 22), At(2, 22)], occurrences.Select(o => o.Start));
    }
}
