using Bunit;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Plans;
using PatchPortal.Tests.Unit.Portal.Shell;
using static PatchPortal.Tests.Unit.Portal.Plans.PlansTestContext;

namespace PatchPortal.Tests.Unit.Portal.Plans;

public sealed class PlanEditorTests : PortalComponentTestContext, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly PlansTestContext _plans = new();

    public async Task InitializeAsync()
    {
        var group = await _plans.AddGroupAsync("web");
        await _plans.AddHostAsync("web-1", group);
        await _plans.AddWindowAsync("nightly", At(0, 22));
        Services.AddSingleton(_plans.Queries);
        Services.AddSingleton(_plans.Service);
        JSInterop.Setup<string?>("patchPortal.timeZone").SetResult("America/New_York");
        SignInAs(PortalRoles.Operator, Operator.Name);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        _plans.Dispose();
    }

    private IRenderedComponent<PlanEditor> RenderEditor(Guid? id = null)
    {
        var cut = Render<PlanEditor>(p => p.Add(c => c.Id, id));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("button:contains('Create plan'), button:contains('Save changes')")), Timeout);
        return cut;
    }

    [Fact]
    public async Task PlanEditor_ShowsMessagesAtFields_WhenSavedEmpty()
    {
        var cut = RenderEditor();

        await cut.Find("button:contains('Create plan')").ClickAsync(new());

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("Enter a name.", cut.Instance.Errors[PlanFields.Name]);
            Assert.Contains("Enter a name.", cut.Markup, StringComparison.Ordinal);
            Assert.Equal("Choose at least one group, tag or host.", cut.Find("[data-testid='targets-error']").TextContent);
        }, Timeout);
        await using var db = _plans.Database.CreateDbContext();
        Assert.Empty(db.PatchPlans);
    }

    [Fact]
    public void PlanEditor_ListsNextOccurrencesInViewerZone_WhenWindowIsChosen()
    {
        var cut = RenderEditor();

        cut.WaitForAssertion(() =>
        {
            var occurrences = cut.Find("[aria-label='Occurrences']").TextContent;
            Assert.Contains("Tue 2026-12-01 17:00–19:00 America/New_York (window time 2026-12-01 22:00 UTC)", occurrences, StringComparison.Ordinal);
        }, Timeout);
        Assert.Contains("times in America/New_York", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlanEditor_WarnsThatSavingSendsBack_WhenPlanIsPendingApproval()
    {
        var id = await _plans.SubmittedAsync(Input(null, (await _plans.Queries.GetGroupsAsync(CancellationToken.None))[0].Id));

        var cut = RenderEditor(id);

        Assert.Contains("Saving a change sends it back for approval", cut.Find("[data-testid='sends-back']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlanEditor_ShowsServerMessage_WhenCanaryIsNotATarget()
    {
        var stray = await _plans.AddHostAsync("db-1");
        var group = (await _plans.Queries.GetGroupsAsync(CancellationToken.None))[0];
        var id = await _plans.CreateAsync(Input(null, group.Id));
        await using (var db = _plans.Database.CreateDbContext())
        {
            var plan = db.PatchPlans.Single(p => p.Id == id);
            plan.CanaryHostIds = [stray.Id];
            await db.SaveChangesAsync();
        }

        var cut = RenderEditor(id);
        await cut.Find("button:contains('Save changes')").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.Equal("Canary host(s) db-1 are not among the plan's targets.", cut.Instance.Errors[PlanFields.CanaryHosts]), Timeout);
        Assert.Equal(PlanState.Draft, (await _plans.PlanAsync(id)).State);
    }
}
