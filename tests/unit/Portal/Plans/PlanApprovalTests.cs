using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Plans;
using PatchPortal.Portal.Settings.Users;
using static PatchPortal.Tests.Unit.Portal.Plans.PlansTestContext;

namespace PatchPortal.Tests.Unit.Portal.Plans;

/// <summary>The approval rules: four eyes, once per approver and revision, the strictest group, edits, expiry.</summary>
public sealed class PlanApprovalTests : IDisposable
{
    private readonly PlansTestContext _plans = new();

    public void Dispose() => _plans.Dispose();

    private PlanService Plans => _plans.Service;

    private async Task<(HostGroup Group, MaintenanceWindow Window)> FleetAsync(int approvals = 1)
    {
        var group = await _plans.AddGroupAsync("web", approvals);
        await _plans.AddHostAsync("web-1", group);
        await _plans.AddHostAsync("web-2", group);
        var window = await _plans.AddWindowAsync("nightly", At(0, 22));
        return (group, window);
    }

    private async Task<PlanResult> ApproveAsync(Guid id, Actor approver, string? comment = "looks fine") =>
        await Plans.ApproveAsync(id, await _plans.RevisionAsync(id), comment, approver, CancellationToken.None);

    private async Task<AuditEvent> SingleRefusalAsync() => Assert.Single(await _plans.AuditAsync(AuditActions.PlanActionRefused));

    [Fact]
    public async Task ApproveAsync_ApprovesAndSchedules_WhenOneApprovalIsRequired()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.SubmittedAsync(Input(window, group.Id));

        var result = await ApproveAsync(id, Approver);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(PlanState.Approved, (await _plans.PlanAsync(id)).State);
        Assert.Equal(("schedule", Approver.Name), _plans.Runs.Calls.Where(c => c.Call == "schedule").Select(c => (c.Call, c.Actor)).Single());
        var approved = Assert.Single(await _plans.AuditAsync(AuditActions.PlanApproved));
        Assert.Equal((Approver.Name, true), (approved.Actor, approved.Succeeded));
        Assert.Contains("looks fine", approved.AfterJson, StringComparison.Ordinal);
        var entry = (await _plans.TimelineAsync(id))[^1];
        Assert.Equal((PlanEventKinds.Approved, (PlanState?)PlanState.PendingApproval, (PlanState?)PlanState.Approved), (entry.Kind, entry.FromState, entry.ToState));
    }

    [Fact]
    public async Task ApproveAsync_RefusesAndAudits_WhenApproverRequestedThePlan()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.SubmittedAsync(Input(window, group.Id));

        var result = await ApproveAsync(id, Operator);

        Assert.Equal("You requested this plan: nobody approves their own plan.", result.Error);
        Assert.Equal(ChangeStatus.Forbidden, result.Status);
        Assert.Equal(PlanState.PendingApproval, (await _plans.PlanAsync(id)).State);
        var refusal = await SingleRefusalAsync();
        Assert.Equal((Operator.Name, false, Operator.SourceAddress), (refusal.Actor, refusal.Succeeded, refusal.SourceAddress));
        Assert.Contains("\"action\":\"approve\"", refusal.AfterJson, StringComparison.Ordinal);
        Assert.DoesNotContain(_plans.Runs.Calls, c => c.Call == "schedule");
    }

    [Fact]
    public async Task ApproveAsync_RefusesAndAudits_WhenApproverEditedThePlan()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.CreateAsync(Input(window, group.Id));
        await Plans.UpdateAsync(id, Input(window, group.Id) with { BatchSize = 2 }, 1, Approver, CancellationToken.None);
        await _plans.DryRunAsync(id);
        await Plans.SubmitAsync(id, 2, Operator, CancellationToken.None);

        var result = await ApproveAsync(id, Approver);

        Assert.Equal("You edited or submitted this plan: its authors cannot approve it.", result.Error);
        Assert.Equal(ChangeStatus.Forbidden, result.Status);
        await SingleRefusalAsync();
    }

    [Fact]
    public async Task ApproveAsync_RefusesAndAudits_WhenSameApproverApprovesTwice()
    {
        var (group, window) = await FleetAsync(approvals: 2);
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        await ApproveAsync(id, Approver);

        var result = await ApproveAsync(id, Approver);

        Assert.Equal("You already decided on revision 1 of this plan.", result.Error);
        Assert.Equal(ChangeStatus.Conflict, result.Status);
        Assert.Equal(PlanState.PendingApproval, (await _plans.PlanAsync(id)).State);
        await SingleRefusalAsync();
        await using var db = _plans.Database.CreateDbContext();
        Assert.Equal(1, await db.PlanApprovals.CountAsync(a => a.PlanId == id));
    }

    [Fact]
    public async Task ApproveAsync_RefusesAndAudits_WhenPlanIsStillDraft()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.CreateAsync(Input(window, group.Id));

        var result = await ApproveAsync(id, Approver);

        Assert.Equal("A plan in state Draft cannot be approved; only a plan pending approval can.", result.Error);
        var refusal = await SingleRefusalAsync();
        Assert.Contains("\"state\":\"Draft\"", refusal.AfterJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApproveAsync_RefusesAndAudits_WhenPlanIsAlreadyApproved()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        await ApproveAsync(id, Approver);

        var result = await ApproveAsync(id, SecondApprover);

        Assert.Equal("A plan in state Approved cannot be approved; only a plan pending approval can.", result.Error);
        await SingleRefusalAsync();
    }

    [Fact]
    public async Task ApproveAsync_RefusesAndAudits_WhenApproverSawAnOlderRevision()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        await Plans.UpdateAsync(id, Input(window, group.Id) with { BatchSize = 2 }, 1, Operator, CancellationToken.None);

        var result = await Plans.ApproveAsync(id, 1, "ok", Approver, CancellationToken.None);

        Assert.Equal("The plan changed since you opened it (it is now revision 2); review the new revision before deciding.", result.Error);
        await SingleRefusalAsync();
    }

    [Fact]
    public async Task ApproveAsync_NeedsTwoApprovers_WhenATargetGroupRequiresTwo()
    {
        var dev = await _plans.AddGroupAsync("dev", 1);
        var prod = await _plans.AddGroupAsync("prod", 2);
        await _plans.AddHostAsync("dev-1", dev);
        await _plans.AddHostAsync("prod-1", prod);
        var window = await _plans.AddWindowAsync("nightly", At(0, 22));
        var id = await _plans.SubmittedAsync(Input(window, dev.Id, prod.Id));

        var first = await ApproveAsync(id, Approver);
        var stateAfterFirst = (await _plans.PlanAsync(id)).State;
        var second = await ApproveAsync(id, SecondApprover);

        Assert.Equal("Approval recorded (1 of 2).", first.Notice);
        Assert.Equal(PlanState.PendingApproval, stateAfterFirst);
        Assert.Equal("The plan is approved.", second.Notice);
        Assert.Equal(PlanState.Approved, (await _plans.PlanAsync(id)).State);
        Assert.Single(_plans.Runs.Calls, c => c.Call == "schedule");
    }

    [Fact]
    public async Task SubmitAsync_RequiresStrictestGroup_WhenATargetHostIsAlsoInAStricterGroup()
    {
        var web = await _plans.AddGroupAsync("web", 1);
        var payments = await _plans.AddGroupAsync("payments", 3);
        await _plans.AddHostAsync("web-1", web);
        await _plans.AddHostAsync("web-2", web, payments);
        var window = await _plans.AddWindowAsync("nightly", At(0, 22));

        var id = await _plans.SubmittedAsync(Input(window, web.Id));

        Assert.Equal(3, (await _plans.PlanAsync(id)).RequiredApprovals);
    }

    [Fact]
    public async Task SubmitAsync_RequiresOneApproval_WhenPlanTargetsHostsWithoutGroups()
    {
        var host = await _plans.AddHostAsync("lonely-1");
        var id = await _plans.SubmittedAsync(Input(null) with { HostIds = [host.Id] });

        Assert.Equal(1, (await _plans.PlanAsync(id)).RequiredApprovals);
    }

    [Fact]
    public async Task SubmitAsync_RefusesAndAudits_WhenNoDryRunOfCurrentRevision()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.CreateAsync(Input(window, group.Id));

        var result = await Plans.SubmitAsync(id, 1, Operator, CancellationToken.None);

        Assert.Equal("Run the dry run of revision 1 first: approvers decide on what it says would change.", result.Error);
        Assert.Equal(PlanState.Draft, (await _plans.PlanAsync(id)).State);
        await SingleRefusalAsync();
    }

    [Fact]
    public async Task SubmitAsync_Refuses_WhenAHostJoinedTheTargetsAfterTheDryRun()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.CreateAsync(Input(window, group.Id));
        await _plans.DryRunAsync(id);
        await _plans.AddHostAsync("web-3", group);

        var result = await Plans.SubmitAsync(id, 1, Operator, CancellationToken.None);

        Assert.Equal("1 target host(s) were not in the dry run (the targets changed since): run the dry run again.", result.Error);
    }

    [Fact]
    public async Task SubmitAsync_SetsDeadlineToEndOfChosenOccurrence_WhenTimingIsOccurrence()
    {
        var (group, window) = await FleetAsync();

        var id = await _plans.SubmittedAsync(Input(window, group.Id) with { Timing = PlanTiming.Occurrence, OccurrenceStart = At(2, 22) });

        Assert.Equal(At(3, 0), (await _plans.PlanAsync(id)).ApprovalExpiresAt);
    }

    [Fact]
    public async Task SubmitAsync_SetsDeadlineToEndOfNextOccurrence_WhenTimingIsEveryOccurrence()
    {
        var (group, window) = await FleetAsync();

        var id = await _plans.SubmittedAsync(Input(window, group.Id) with { Timing = PlanTiming.EveryOccurrence });

        Assert.Equal(At(1, 0), (await _plans.PlanAsync(id)).ApprovalExpiresAt);
    }

    [Fact]
    public async Task SubmitAsync_SetsDeadlineToConfiguredHours_WhenTimingIsNow()
    {
        var (group, _) = await FleetAsync();
        _plans.Options.NowApprovalHours = 6;

        var id = await _plans.SubmittedAsync(Input(null, group.Id));

        var plan = await _plans.PlanAsync(id);
        Assert.Equal((Now.AddHours(6), Now), (plan.ApprovalExpiresAt, plan.SubmittedAt));
    }

    [Fact]
    public async Task UpdateAsync_SendsApprovedPlanBackForApproval_WhenItIsEdited()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        await ApproveAsync(id, Approver);

        var result = await Plans.UpdateAsync(id, Input(window, group.Id) with { BatchSize = 2 }, 1, Operator, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error);
        var plan = await _plans.PlanAsync(id);
        Assert.Equal((PlanState.PendingApproval, 2), (plan.State, plan.Revision));
        Assert.Equal(["schedule", "unschedule"], _plans.Runs.CallsFor(id));
        var entry = (await _plans.TimelineAsync(id))[^1];
        Assert.Equal((PlanEventKinds.Edited, (PlanState?)PlanState.Approved, (PlanState?)PlanState.PendingApproval), (entry.Kind, entry.FromState, entry.ToState));
    }

    [Fact]
    public async Task ApproveAsync_RefusesAndAudits_WhenEditedPlanHasNoDryRunOfNewRevision()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        await Plans.UpdateAsync(id, Input(window, group.Id) with { BatchSize = 2 }, 1, Operator, CancellationToken.None);

        var result = await ApproveAsync(id, Approver);

        Assert.Equal("Revision 2 has no dry run yet: approvers decide on what it would change, so wait until it has run.", result.Error);
        await SingleRefusalAsync();
    }

    [Fact]
    public async Task ApproveAsync_StopsCountingOldApprovals_WhenPlanWasEditedAfterThem()
    {
        var (group, window) = await FleetAsync(approvals: 2);
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        await ApproveAsync(id, Approver);
        await Plans.UpdateAsync(id, Input(window, group.Id) with { BatchSize = 2 }, 1, Operator, CancellationToken.None);
        await _plans.DryRunAsync(id);

        var result = await ApproveAsync(id, SecondApprover);

        Assert.Equal("Approval recorded (1 of 2).", result.Notice);
        Assert.Equal(PlanState.PendingApproval, (await _plans.PlanAsync(id)).State);
    }

    [Fact]
    public async Task ApproveAsync_LetsSameApproverDecideAgain_WhenPlanWasEditedAfterTheirApproval()
    {
        var (group, window) = await FleetAsync(approvals: 2);
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        await ApproveAsync(id, Approver);
        await Plans.UpdateAsync(id, Input(window, group.Id) with { BatchSize = 2 }, 1, Operator, CancellationToken.None);
        await _plans.DryRunAsync(id);

        await ApproveAsync(id, Approver);
        var result = await ApproveAsync(id, SecondApprover);

        Assert.Equal("The plan is approved.", result.Notice);
        Assert.Equal(PlanState.Approved, (await _plans.PlanAsync(id)).State);
    }

    [Fact]
    public async Task ApproveAsync_CountsEachApproverOnce_WhenTwoApproveAtTheSameMoment()
    {
        var (group, window) = await FleetAsync(approvals: 2);
        var id = await _plans.SubmittedAsync(Input(window, group.Id));

        var results = await Task.WhenAll(
            Task.Run(() => Plans.ApproveAsync(id, 1, null, Approver, CancellationToken.None)),
            Task.Run(() => Plans.ApproveAsync(id, 1, null, SecondApprover, CancellationToken.None)));

        Assert.All(results, r => Assert.True(r.Succeeded, r.Error));
        Assert.Equal(PlanState.Approved, (await _plans.PlanAsync(id)).State);
        Assert.Single(_plans.Runs.Calls, c => c.Call == "schedule");
        await using var db = _plans.Database.CreateDbContext();
        Assert.Equal(2, await db.PlanApprovals.CountAsync(a => a.PlanId == id));
    }

    [Fact]
    public async Task ApproveAsync_RecordsFailureOnTimeline_WhenSchedulerFails()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        _plans.Runs.FailScheduleWith = new InvalidOperationException("the run store is down");

        var result = await ApproveAsync(id, Approver);

        Assert.True(result.Succeeded);
        Assert.Equal(PlanState.Approved, (await _plans.PlanAsync(id)).State);
        var entry = (await _plans.TimelineAsync(id))[^1];
        Assert.Equal((PlanEventKinds.ScheduleFailed, "The plan is approved but its run could not be scheduled: the run store is down"), (entry.Kind, entry.Message));
    }

    [Fact]
    public async Task RejectAsync_EndsRoundWithComment_WhenApproverRejects()
    {
        var (group, window) = await FleetAsync(approvals: 2);
        var id = await _plans.SubmittedAsync(Input(window, group.Id));

        var result = await Plans.RejectAsync(id, 1, "not during the sale", Approver, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal(PlanState.Rejected, (await _plans.PlanAsync(id)).State);
        Assert.Contains("not during the sale", Assert.Single(await _plans.AuditAsync(AuditActions.PlanRejected)).AfterJson, StringComparison.Ordinal);
        Assert.Equal("Revision 1 rejected: not during the sale", (await _plans.TimelineAsync(id))[^1].Message);
    }

    [Fact]
    public async Task RejectAsync_RequiresComment_WhenCommentIsBlank()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.SubmittedAsync(Input(window, group.Id));

        var result = await Plans.RejectAsync(id, 1, " ", Approver, CancellationToken.None);

        Assert.Equal("Say why you reject the plan.", result.Error);
        Assert.Equal(PlanState.PendingApproval, (await _plans.PlanAsync(id)).State);
    }

    [Fact]
    public async Task SubmitAsync_StartsNewRevisionKeepingManifest_WhenRejectedPlanIsResubmitted()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        await Plans.RejectAsync(id, 1, "wait a week", Approver, CancellationToken.None);

        var result = await Plans.SubmitAsync(id, 1, Operator, CancellationToken.None);
        var approval = await ApproveAsync(id, Approver);

        Assert.True(result.Succeeded, result.Error);
        Assert.True(approval.Succeeded, approval.Error);
        var plan = await _plans.PlanAsync(id);
        Assert.Equal((PlanState.Approved, 2), (plan.State, plan.Revision));
    }

    [Fact]
    public async Task ExpireDueAsync_ExpiresPendingAndApprovedPlans_WhenTheirDeadlinePassed()
    {
        var (group, window) = await FleetAsync();
        var pending = await _plans.SubmittedAsync(Input(window, group.Id));
        var approved = await _plans.SubmittedAsync(Input(window, group.Id) with { Name = "approved" });
        await ApproveAsync(approved, Approver);
        _plans.Time.SetUtcNow(At(1, 0).AddSeconds(1));

        var count = await Plans.ExpireDueAsync(CancellationToken.None);

        Assert.Equal(2, count);
        Assert.Equal(PlanState.Expired, (await _plans.PlanAsync(pending)).State);
        Assert.Equal(PlanState.Expired, (await _plans.PlanAsync(approved)).State);
        Assert.Equal(["schedule", "unschedule"], _plans.Runs.CallsFor(approved));
        Assert.All(await _plans.AuditAsync(AuditActions.PlanExpired), e => Assert.Equal(PlanService.SystemActor, e.Actor));
        Assert.Equal(PlanEventKinds.Expired, (await _plans.TimelineAsync(pending))[^1].Kind);
    }

    [Fact]
    public async Task ExpireDueAsync_LeavesPlan_WhenDeadlineIsAhead()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        _plans.Time.SetUtcNow(At(0, 23));

        Assert.Equal(0, await Plans.ExpireDueAsync(CancellationToken.None));
        Assert.Equal(PlanState.PendingApproval, (await _plans.PlanAsync(id)).State);
    }

    [Fact]
    public async Task ApproveAsync_RefusesAndAudits_WhenPlanExpired()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        _plans.Time.SetUtcNow(At(1, 1));
        await Plans.ExpireDueAsync(CancellationToken.None);

        var result = await ApproveAsync(id, Approver);

        Assert.Equal("A plan in state Expired cannot be approved; only a plan pending approval can.", result.Error);
        await SingleRefusalAsync();
    }

    [Fact]
    public async Task UpdateAsync_ReturnsExpiredPlanToDraft_WhenItIsEdited()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.SubmittedAsync(Input(window, group.Id));
        _plans.Time.SetUtcNow(At(1, 1));
        await Plans.ExpireDueAsync(CancellationToken.None);

        var result = await Plans.UpdateAsync(id, Input(window, group.Id) with { Name = "Monthly patching, again" }, 1, Operator, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(PlanState.Draft, (await _plans.PlanAsync(id)).State);
    }
}
