using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Plans;
using PatchPortal.Tests.Unit.Portal.Shell;
using static PatchPortal.Tests.Unit.Portal.Plans.PlansTestContext;

namespace PatchPortal.Tests.Unit.Portal.Plans;

public sealed class PlanPageTests : PortalComponentTestContext, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly PlansTestContext _plans = new();
    private Guid _id;
    private Guid _web1;
    private Guid _groupId;

    public async Task InitializeAsync()
    {
        var group = await _plans.AddGroupAsync("web", approvals: 2);
        var web1 = await _plans.AddHostAsync("web-1", group);
        (_web1, _groupId) = (web1.Id, group.Id);
        var web2 = await _plans.AddHostAsync("web-2", group);
        _plans.Agents.For(web1.Id).DryRun = AgentCallResult.Ok(new DryRunManifest(
            [new PlannedChange("openssl", "3.5.1-1", "3.5.1-1+deb13u1"), new PlannedChange("linux-image-amd64", "6.12.0-1", "6.12.0-2")], true));
        _plans.Agents.For(web2.Id).FailWith(new AgentFailure(AgentFailureKind.Unreachable, "connection refused"));
        var window = await _plans.AddWindowAsync("nightly", At(0, 22));
        _id = await _plans.SubmittedAsync(Input(window, group.Id));

        Services.AddSingleton(_plans.Queries);
        Services.AddSingleton(_plans.Service);
        Services.AddSingleton(_plans.DryRun);
        Services.AddSingleton(_plans.Board);
        Services.AddSingleton(_plans.Events);
        Services.AddSingleton(new PatchPortal.Portal.Runs.RunEventHub());
        JSInterop.Setup<string?>("patchPortal.timeZone").SetResult("Europe/Berlin");
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        _plans.Dispose();
    }

    private IRenderedComponent<PlanPage> RenderPage()
    {
        var cut = Render<PlanPage>(p => p.Add(c => c.Id, _id));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid='plan-state']")), Timeout);
        return cut;
    }

    private static List<string> Buttons(IRenderedComponent<PlanPage> cut) =>
        cut.FindAll("button").Select(b => b.TextContent.Trim()).Where(t => t.Length > 0).ToList();

    [Fact]
    public void PlanPage_HidesApprove_WhenUserIsTheOperatorWhoWroteIt()
    {
        SignInAs(PortalRoles.Operator, Operator.Name);

        var cut = RenderPage();

        Assert.DoesNotContain("Approve", Buttons(cut));
        Assert.Contains("Edit", cut.FindAll("a").Select(a => a.TextContent.Trim()));
        Assert.Contains("Cancel plan", Buttons(cut));
    }

    [Fact]
    public void PlanPage_OffersApproveAndReject_WhenUserIsAnApproverWhoDidNotWriteIt()
    {
        SignInAs(PortalRoles.Approver, Approver.Name);

        var cut = RenderPage();

        Assert.Contains("Approve", Buttons(cut));
        Assert.Contains("Reject", Buttons(cut));
        Assert.DoesNotContain("Cancel plan", Buttons(cut));
    }

    [Fact]
    public void PlanPage_ExplainsAndHidesApprove_WhenAdminWroteThePlan()
    {
        SignInAs(PortalRoles.Admin, Operator.Name);

        var cut = RenderPage();

        Assert.DoesNotContain("Approve", Buttons(cut));
        Assert.Contains("another approver must decide", cut.Find("[data-testid='own-plan']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanPage_ShowsManifestChangesAndFailedHosts_WhenDryRunRan()
    {
        SignInAs(PortalRoles.Viewer);

        var cut = RenderPage();

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("[aria-label='Dry-run manifest'] tbody tr").Select(r => r.TextContent).ToList();
            Assert.Contains(rows, r => r.Contains("web-1", StringComparison.Ordinal) && r.Contains("openssl", StringComparison.Ordinal)
                && r.Contains("3.5.1-1+deb13u1", StringComparison.Ordinal) && r.Contains("yes", StringComparison.Ordinal));
            Assert.Contains(rows, r => r.Contains("web-2", StringComparison.Ordinal) && r.Contains("failed: the agent is unreachable (connection refused)", StringComparison.Ordinal));
            Assert.Contains("1 host(s) could not answer", cut.Find("[data-testid='manifest-failures']").TextContent, StringComparison.Ordinal);
        }, Timeout);
    }

    [Fact]
    public void PlanPage_ShowsTimesInViewerZone_WhenLoaded()
    {
        SignInAs(PortalRoles.Viewer);

        var cut = RenderPage();

        cut.WaitForAssertion(() => Assert.Contains("2026-12-01 10:00:00 Europe/Berlin",
            cut.Find("[aria-label='Approval']").TextContent, StringComparison.Ordinal), Timeout);
    }

    [Fact]
    public async Task PlanPage_ShowsDecisionLive_WhenAnotherApproverDecides()
    {
        SignInAs(PortalRoles.Operator, Operator.Name);
        var cut = RenderPage();

        await _plans.Service.ApproveAsync(_id, 1, "fine by me", Approver, CancellationToken.None);
        await _plans.Service.ApproveAsync(_id, 1, "go", SecondApprover, CancellationToken.None);

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("Approved", cut.Find("[data-testid='plan-state']").TextContent.Trim());
            Assert.Contains("fine by me", cut.Find("[aria-label='Decisions']").TextContent, StringComparison.Ordinal);
        }, Timeout);
    }

    [Fact]
    public async Task PlanPage_ApprovesWithComment_WhenApproverConfirmsDialog()
    {
        SignInAs(PortalRoles.Approver, Approver.Name);
        var dialogs = Render<MudDialogProvider>();
        var cut = RenderPage();

        // The click's handler waits for the dialog, so it is not awaited here.
        var approving = cut.FindAll("button").Single(b => b.TextContent.Trim() == "Approve").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.NotEmpty(dialogs.FindAll("textarea")), Timeout);
        await dialogs.Find("textarea").ChangeAsync(new() { Value = "checked the manifest" });
        await dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Approve").ClickAsync(new());
        await approving.WaitAsync(Timeout);

        cut.WaitForAssertion(() => Assert.Equal("1 of 2 for revision 1", cut.Find("[data-testid='approval-count']").TextContent.Trim()), Timeout);
        Assert.Equal("checked the manifest", (await _plans.AuditAsync(PatchPortal.Portal.Audit.AuditActions.PlanApproved)).Single().AfterJson!
            .Split("\"comment\":\"")[1].Split('"')[0]);
    }

    [Fact]
    public async Task PlanPage_ShowsDryRunProgress_WhileAgentsAnswer()
    {
        SignInAs(PortalRoles.Operator, Operator.Name);
        var draft = await _plans.CreateAsync(Input(null, _groupId) with { Name = "draft" });
        var release = new TaskCompletionSource();
        _plans.Agents.For(_web1).BeforeDryRun = _ => release.Task;
        var cut = Render<PlanPage>(p => p.Add(c => c.Id, draft));
        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("button"), b => b.TextContent.Trim() == "Dry run"), Timeout);

        // The click's handler runs the whole dry run, so it is not awaited here.
        var running = cut.FindAll("button").Single(b => b.TextContent.Trim() == "Dry run").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Contains("Dry run under way: 1 of 2 host(s) answered",
            cut.Find("[data-testid='dry-run-progress']").TextContent, StringComparison.Ordinal), Timeout);
        release.SetResult();
        await running.WaitAsync(Timeout);

        cut.WaitForAssertion(() =>
        {
            Assert.Empty(cut.FindAll("[data-testid='dry-run-progress']"));
            Assert.StartsWith("Revision 1, checked", cut.Find("[data-testid='manifest-status']").TextContent, StringComparison.Ordinal);
        }, Timeout);
    }
}
