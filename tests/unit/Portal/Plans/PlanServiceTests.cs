using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Plans;
using static PatchPortal.Tests.Unit.Portal.Plans.PlansTestContext;

namespace PatchPortal.Tests.Unit.Portal.Plans;

public sealed class PlanServiceTests : IDisposable
{
    private readonly PlansTestContext _plans = new();

    public void Dispose() => _plans.Dispose();

    private async Task<(HostGroup Group, MaintenanceWindow Window)> FleetAsync()
    {
        var group = await _plans.AddGroupAsync("web");
        await _plans.AddHostAsync("web-1", group);
        await _plans.AddHostAsync("web-2", group);
        var window = await _plans.AddWindowAsync("nightly", At(0, 22));
        return (group, window);
    }

    private async Task<PlanResult> CreateAsync(PlanInput input) => await _plans.Service.CreateAsync(input, Operator, CancellationToken.None);

    [Fact]
    public async Task CreateAsync_StoresDraftWithTimelineAndAudit_WhenInputIsValid()
    {
        var (group, window) = await FleetAsync();

        var result = await CreateAsync(Input(window, group.Id) with { ExcludedPackages = ["linux-image-*"] });

        Assert.True(result.Succeeded);
        var plan = await _plans.PlanAsync(result.PlanId!.Value);
        Assert.Equal((PlanState.Draft, 1, Operator.Name, Now), (plan.State, plan.Revision, plan.RequestedBy, plan.CreatedAt));
        Assert.Equal(["linux-image-*"], plan.ExcludedPackages);
        var created = Assert.Single(await _plans.TimelineAsync(plan.Id));
        Assert.Equal((PlanEventKinds.Created, (PlanState?)PlanState.Draft), (created.Kind, created.ToState));
        var audit = Assert.Single(await _plans.AuditAsync(AuditActions.PlanCreated));
        Assert.Contains("\"groups\":[\"web\"]", audit.AfterJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_RefusesWithMessage_WhenTargetsAreEmpty()
    {
        var (_, window) = await FleetAsync();

        var result = await CreateAsync(Input(window));

        Assert.False(result.Succeeded);
        Assert.Equal("Choose at least one group, tag or host.", result.FieldErrors[PlanFields.Targets]);
    }

    [Fact]
    public async Task CreateAsync_RefusesWithMessage_WhenTargetsContainNoHost()
    {
        var (_, window) = await FleetAsync();
        var empty = await _plans.AddGroupAsync("empty");

        var result = await CreateAsync(Input(window, empty.Id));

        Assert.Equal("The chosen groups, tags and hosts contain no host.", result.FieldErrors[PlanFields.Targets]);
    }

    [Fact]
    public async Task CreateAsync_RefusesWithMessage_WhenCanaryIsNotATarget()
    {
        var (group, window) = await FleetAsync();
        var stray = await _plans.AddHostAsync("db-1");

        var result = await CreateAsync(Input(window, group.Id) with { CanaryHostIds = [stray.Id] });

        Assert.Equal("Canary host(s) db-1 are not among the plan's targets.", result.FieldErrors[PlanFields.CanaryHosts]);
    }

    [Fact]
    public async Task CreateAsync_RefusesWithMessage_WhenWindowHasNoFutureOccurrence()
    {
        var (group, _) = await FleetAsync();
        var past = await _plans.AddWindowAsync("last week", Now.AddDays(-7), daily: false);

        var result = await CreateAsync(Input(past, group.Id));

        Assert.Equal("The window 'last week' has no future occurrence.", result.FieldErrors[PlanFields.Window]);
    }

    [Fact]
    public async Task CreateAsync_RefusesWithMessage_WhenWindowIsDisabled()
    {
        var (group, _) = await FleetAsync();
        var off = await _plans.AddWindowAsync("paused", Now.AddDays(1), enabled: false);

        var result = await CreateAsync(Input(off, group.Id));

        Assert.Equal("The window 'paused' is disabled.", result.FieldErrors[PlanFields.Window]);
    }

    [Fact]
    public async Task CreateAsync_RefusesWithMessage_WhenChosenStartIsNoOccurrenceOfWindow()
    {
        var (group, window) = await FleetAsync();
        var start = At(2, 21);

        var result = await CreateAsync(Input(window, group.Id) with { Timing = PlanTiming.Occurrence, OccurrenceStart = start });

        Assert.Equal("The window 'nightly' has no occurrence starting at 2026-12-03 21:00 UTC.", result.FieldErrors[PlanFields.Occurrence]);
    }

    [Fact]
    public async Task CreateAsync_RefusesWithMessage_WhenChosenOccurrenceHasStarted()
    {
        var (group, _) = await FleetAsync();
        var window = await _plans.AddWindowAsync("morning", At(0, 8));

        var result = await CreateAsync(Input(window, group.Id) with { Timing = PlanTiming.Occurrence, OccurrenceStart = At(0, 8) });

        Assert.Equal("The occurrence at 2026-12-01 08:00 UTC has already started; choose a later one.", result.FieldErrors[PlanFields.Occurrence]);
    }

    [Fact]
    public async Task CreateAsync_Accepts_WhenChosenStartIsAFutureOccurrence()
    {
        var (group, window) = await FleetAsync();

        var result = await CreateAsync(Input(window, group.Id) with { Timing = PlanTiming.Occurrence, OccurrenceStart = At(3, 22) });

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public async Task UpdateAsync_BumpsRevisionAndNamesChanges_WhenDraftIsEdited()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.CreateAsync(Input(window, group.Id));

        var result = await _plans.Service.UpdateAsync(id, Input(window, group.Id) with { BatchSize = 2, RebootPolicy = RebootPolicy.Never }, 1, Operator, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error);
        var plan = await _plans.PlanAsync(id);
        Assert.Equal((PlanState.Draft, 2), (plan.State, plan.Revision));
        Assert.Equal("Revision 2: batch size, reboot policy changed.", (await _plans.TimelineAsync(id))[^1].Message);
        Assert.Single(await _plans.AuditAsync(AuditActions.PlanEdited));
    }

    [Fact]
    public async Task UpdateAsync_KeepsRevision_WhenNothingChanged()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.CreateAsync(Input(window, group.Id));

        var result = await _plans.Service.UpdateAsync(id, Input(window, group.Id), 1, Operator, CancellationToken.None);

        Assert.Equal("Nothing changed.", result.Notice);
        Assert.Equal(1, await _plans.RevisionAsync(id));
        Assert.Empty(await _plans.AuditAsync(AuditActions.PlanEdited));
    }

    [Fact]
    public async Task UpdateAsync_RefusesAndAudits_WhenEditorOpenedAnOlderRevision()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.CreateAsync(Input(window, group.Id));
        await _plans.Service.UpdateAsync(id, Input(window, group.Id) with { BatchSize = 2 }, 1, Operator, CancellationToken.None);

        var result = await _plans.Service.UpdateAsync(id, Input(window, group.Id) with { BatchSize = 3 }, 1, Approver, CancellationToken.None);

        Assert.Equal("The plan changed since you opened it (it is now revision 2); reload it to see the change.", result.Error);
        var refused = Assert.Single(await _plans.AuditAsync(AuditActions.PlanActionRefused));
        Assert.False(refused.Succeeded);
        Assert.Contains("\"action\":\"edit\"", refused.AfterJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelAsync_RequiresReason_WhenReasonIsBlank()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.CreateAsync(Input(window, group.Id));

        var result = await _plans.Service.CancelAsync(id, "  ", Operator, CancellationToken.None);

        Assert.Equal("Give a reason for cancelling the plan.", result.Error);
        Assert.Equal(PlanState.Draft, (await _plans.PlanAsync(id)).State);
    }

    [Fact]
    public async Task CancelAsync_CancelsUnschedulesAndAudits_WhenReasonGiven()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.CreateAsync(Input(window, group.Id));

        var result = await _plans.Service.CancelAsync(id, "superseded by the emergency plan", Operator, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal(PlanState.Cancelled, (await _plans.PlanAsync(id)).State);
        Assert.Equal(["unschedule"], _plans.Runs.CallsFor(id));
        var entry = (await _plans.TimelineAsync(id))[^1];
        Assert.Equal((PlanEventKinds.Cancelled, "superseded by the emergency plan"), (entry.Kind, entry.Message));
        Assert.Contains("superseded by the emergency plan", Assert.Single(await _plans.AuditAsync(AuditActions.PlanCancelled)).AfterJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelAsync_RefusesAndAudits_WhenPlanIsAlreadyCancelled()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.CreateAsync(Input(window, group.Id));
        await _plans.Service.CancelAsync(id, "first", Operator, CancellationToken.None);

        var result = await _plans.Service.CancelAsync(id, "second", Operator, CancellationToken.None);

        Assert.Equal("A plan in state Cancelled cannot be cancelled.", result.Error);
        Assert.Single(await _plans.AuditAsync(AuditActions.PlanActionRefused));
    }

    [Fact]
    public async Task UpdateAsync_RefusesAndAudits_WhenPlanIsCancelled()
    {
        var (group, window) = await FleetAsync();
        var id = await _plans.CreateAsync(Input(window, group.Id));
        await _plans.Service.CancelAsync(id, "no longer needed", Operator, CancellationToken.None);

        var result = await _plans.Service.UpdateAsync(id, Input(window, group.Id) with { BatchSize = 5 }, 1, Operator, CancellationToken.None);

        Assert.Equal("A plan in state Cancelled cannot be edited.", result.Error);
        Assert.Single(await _plans.AuditAsync(AuditActions.PlanActionRefused));
    }
}
