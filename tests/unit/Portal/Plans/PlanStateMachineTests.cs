using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Plans;

namespace PatchPortal.Tests.Unit.Portal.Plans;

public sealed class PlanStateMachineTests
{
    private static PatchPlan PlanIn(params PlanState[] path)
    {
        var plan = new PatchPlan { Name = "p", RequestedBy = "someone" };
        foreach (var state in path)
        {
            plan.TransitionTo(state);
        }

        return plan;
    }

    [Theory]
    [InlineData(PlanState.PendingApproval)]
    [InlineData(PlanState.Cancelled)]
    public void TransitionTo_Moves_WhenDraftTakesLegalStep(PlanState next)
    {
        var plan = PlanIn();

        plan.TransitionTo(next);

        Assert.Equal(next, plan.State);
    }

    [Theory]
    [InlineData(PlanState.Approved)]
    [InlineData(PlanState.Scheduled)]
    [InlineData(PlanState.Running)]
    [InlineData(PlanState.Expired)]
    public void TransitionTo_Throws_WhenDraftSkipsApproval(PlanState next)
    {
        var plan = PlanIn();

        var error = Assert.Throws<InvalidOperationException>(() => plan.TransitionTo(next));

        Assert.Equal($"A plan in state Draft cannot become {next}.", error.Message);
    }

    [Fact]
    public void TransitionTo_GoesBackForApproval_WhenApprovedPlanIsEdited()
    {
        var plan = PlanIn(PlanState.PendingApproval, PlanState.Approved);

        plan.TransitionTo(PlanState.PendingApproval);

        Assert.Equal(PlanState.PendingApproval, plan.State);
    }

    [Fact]
    public void TransitionTo_Throws_WhenCancelledPlanWouldMove()
    {
        var plan = PlanIn(PlanState.Cancelled);

        Assert.Empty(PlanStateMachine.NextStates(plan.State));
        Assert.Throws<InvalidOperationException>(() => plan.TransitionTo(PlanState.Draft));
    }

    [Fact]
    public void TransitionTo_AllowsCancel_WhenPlanExpired()
    {
        var plan = PlanIn(PlanState.PendingApproval, PlanState.Expired);

        plan.TransitionTo(PlanState.Cancelled);

        Assert.Equal(PlanState.Cancelled, plan.State);
    }

    [Theory]
    [InlineData(PlanState.Running, false)]
    [InlineData(PlanState.Succeeded, false)]
    [InlineData(PlanState.Cancelled, false)]
    [InlineData(PlanState.Scheduled, true)]
    [InlineData(PlanState.Expired, true)]
    public void IsEditable_AllowsEditsOnlyBeforeRunning_WhenAsked(PlanState state, bool editable) =>
        Assert.Equal(editable, PlanStateMachine.IsEditable(state));

    [Theory]
    [InlineData(PlanState.Draft, false, true)]
    [InlineData(PlanState.Rejected, true, true)]
    [InlineData(PlanState.PendingApproval, false, true)]
    [InlineData(PlanState.PendingApproval, true, false)]
    [InlineData(PlanState.Approved, false, false)]
    public void DryRunIsAllowed_OnlyBeforeDecisions_WhenAsked(PlanState state, bool manifestIsCurrent, bool allowed) =>
        Assert.Equal(allowed, PlanDryRun.IsAllowed(state, manifestIsCurrent));
}
