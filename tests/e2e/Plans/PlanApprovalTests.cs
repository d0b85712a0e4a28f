using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Plans;

/// <summary>
/// Plans with real agents and real users: an operator plans, dry-runs and submits; approvers decide in their own
/// browsers; the operator's open page follows without a reload. Plans are for a window occurrence tomorrow and are
/// cancelled at the end, so nothing is ever installed (the apt agent patches this very machine).
/// </summary>
[Collection(PortalTests.Name)]
public sealed class PlanApprovalTests(PortalFixture fixture) : IAsyncLifetime
{
    private static readonly string[] SimulatedHosts = ["plans-sim-a", "plans-sim-b"];
    private readonly PlanFleet _fleet = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _fleet.DisposeAsync();

    [Fact]
    public async Task Operator_PlansDryRunsAndSubmits_AndSeesApproverDecisionLive()
    {
        await using var admin = await fixture.NewAdminContextAsync();
        var adminPage = await admin.NewPageAsync();
        await using var operatorContext = await PlanFleet.UserAsync(fixture, adminPage, "plans-operator@e2e.test", "Operator");
        await using var approverContext = await PlanFleet.UserAsync(fixture, adminPage, "plans-approver@e2e.test", "Approver");
        const string plan = "Patch the plans-web fleet";

        await TestStep.RunAsync(adminPage, "plans-fleet", async () =>
        {
            await PlanFleet.CreateGroupAsync(adminPage, "plans-web");
            await _fleet.AddEnrolledHostAsync(adminPage, "plans-sim-a", "127.0.0.30", "plans-web");
            await _fleet.AddEnrolledHostAsync(adminPage, "plans-sim-b", "127.0.0.31", "plans-web");
            await _fleet.AddEnrolledHostAsync(adminPage, "plans-apt", "127.0.0.32", "plans-web", backend: "apt");
            await PlanFleet.CreateWindowAsync(adminPage, "plans-weekly", "plans-web");
        });

        var page = await operatorContext.NewPageAsync();
        PlanPage details = default!;
        await TestStep.RunAsync(page, "plans-create", async () =>
        {
            var editor = await PlanEditorPage.OpenNewAsync(page);
            await editor.FillNameAsync(plan);
            await editor.ChooseGroupAsync("plans-web");
            await Assertions.Expect(page.GetByTestId("target-preview")).ToContainTextAsync("3 host(s) targeted; the plan needs 1 approval.");
            await editor.ChooseAsync(PlanTimings.Occurrence);
            await editor.ChooseWindowAsync("plans-weekly");
            var occurrence = await editor.ChooseFirstOccurrenceAsync();
            Assert.Contains(PortalFixture.BrowserTimeZone, occurrence, StringComparison.Ordinal);
            await editor.SaveAsync();
            details = await PlanPage.ForAsync(page, plan);
            await Assertions.Expect(details.State).ToHaveTextAsync("Draft");
            await Assertions.Expect(details.Button("Approve")).ToHaveCountAsync(0);
        });

        await TestStep.RunAsync(page, "plans-dry-run", async () =>
        {
            await details.DryRunAsync(expectedRevision: 1);
            foreach (var host in SimulatedHosts)
            {
                await Assertions.Expect(details.ManifestHost(host)).ToContainTextAsync("answered");
                Assert.True(int.Parse(await details.ManifestHost(host).Locator("td").Nth(1).InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture) > 0,
                    $"the simulated agent {host} expected no change");
            }

            // The real apt agent's dry run on this Debian machine says what apt itself says a dist-upgrade would do.
            var apt = await PlanFleet.AptSimulationAsync();
            var row = details.ManifestHost("plans-apt");
            await Assertions.Expect(row).ToContainTextAsync("answered");
            await Assertions.Expect(row.Locator("td").Nth(1)).ToHaveTextAsync(apt.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (package, candidate) in apt.Take(2))
            {
                await details.ManifestFilter.FillAsync(package);
                var line = details.Manifest.Filter(new() { HasText = "plans-apt" }).Filter(new() { HasText = package });
                await Assertions.Expect(line.First).ToBeVisibleAsync();
                if (candidate is not null)
                {
                    await Assertions.Expect(line.First).ToContainTextAsync(candidate);
                }
            }

            await details.ManifestFilter.FillAsync("");
        });

        await TestStep.RunAsync(page, "plans-submit", async () =>
        {
            await details.Button("Submit for approval").ClickAsync();
            await Assertions.Expect(details.State).ToHaveTextAsync("Pending approval");
            await Assertions.Expect(details.ApprovalCount).ToHaveTextAsync("0 of 1 for revision 1");
            // The operator has no Approve policy: no decision buttons.
            await Assertions.Expect(details.Button("Approve")).ToHaveCountAsync(0);
            await page.EvaluateAsync("() => window.__patchportalNoReload = true");
        });

        var approverPage = await approverContext.NewPageAsync();
        await TestStep.RunAsync(approverPage, "plans-approve", async () =>
        {
            var waiting = await PlansPage.OpenAsync(approverPage, "waiting=me");
            await Assertions.Expect(waiting.WaitingForMe).ToBeCheckedAsync();
            await waiting.Row(plan).GetByRole(AriaRole.Link, new() { Name = plan, Exact = true }).ClickAsync();
            var approverView = await PlanPage.ForAsync(approverPage, plan);
            await Assertions.Expect(approverView.Manifest.First).ToBeVisibleAsync();
            await approverView.DecideAsync(approve: true, "checked the manifest, go ahead");
        });

        await TestStep.RunAsync(page, "plans-approved-live", async () =>
        {
            // Approved, then handed to the run scheduler (Scheduled), in the operator's open page.
            await Assertions.Expect(details.State).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(Approved|Scheduled)$"), new() { Timeout = 30_000 });
            await Assertions.Expect(details.State).ToHaveTextAsync("Scheduled", new() { Timeout = 30_000 });
            await Assertions.Expect(details.Decisions).ToContainTextAsync("checked the manifest, go ahead");
            await Assertions.Expect(details.Timeline).ToContainTextAsync("plans-approver@e2e.test");
            Assert.True(await page.EvaluateAsync<bool>("() => window.__patchportalNoReload === true"), "the page reloaded");
        });

        await TestStep.RunAsync(page, "plans-cancel", async () => await details.CancelPlanAsync("e2e: never run on the test machine"));
    }

    [Fact]
    public async Task PlanForProductionGroup_NeedsTwoApprovers_AndAnEditSendsItBack()
    {
        await using var admin = await fixture.NewAdminContextAsync();
        var adminPage = await admin.NewPageAsync();
        await using var operatorContext = await PlanFleet.UserAsync(fixture, adminPage, "plans-prod-operator@e2e.test", "Operator");
        await using var firstContext = await PlanFleet.UserAsync(fixture, adminPage, "plans-first@e2e.test", "Approver");
        await using var secondContext = await PlanFleet.UserAsync(fixture, adminPage, "plans-second@e2e.test", "Approver");
        const string plan = "Patch plans-prod";

        await TestStep.RunAsync(adminPage, "plans-prod-fleet", async () =>
        {
            await PlanFleet.CreateGroupAsync(adminPage, "plans-prod", "Production");
            await _fleet.AddEnrolledHostAsync(adminPage, "plans-prod-1", "127.0.0.33", "plans-prod");
            await PlanFleet.CreateWindowAsync(adminPage, "plans-prod-weekly", "plans-prod");
        });

        var page = await operatorContext.NewPageAsync();
        PlanPage details = default!;
        await TestStep.RunAsync(page, "plans-prod-submit", async () =>
        {
            var editor = await PlanEditorPage.OpenNewAsync(page);
            await editor.FillNameAsync(plan);
            await editor.ChooseGroupAsync("plans-prod");
            await editor.ChooseAsync(PlanTimings.Next);
            await editor.ChooseWindowAsync("plans-prod-weekly");
            await editor.SaveAsync();
            details = await PlanPage.ForAsync(page, plan);
            await details.DryRunAsync(expectedRevision: 1);
            await details.Button("Submit for approval").ClickAsync();
            await Assertions.Expect(details.ApprovalCount).ToHaveTextAsync("0 of 2 for revision 1");
        });

        var first = await firstContext.NewPageAsync();
        await TestStep.RunAsync(first, "plans-prod-first-approval", async () =>
        {
            var view = await PlanPage.OpenAsync(first, details.Id, plan);
            await view.DecideAsync(approve: true, "first pair of eyes");
            await Assertions.Expect(view.ApprovalCount).ToHaveTextAsync("1 of 2 for revision 1");
            await Assertions.Expect(view.State).ToHaveTextAsync("Pending approval");
            // Approving twice is not offered: the page says the decision is made.
            await Assertions.Expect(view.Button("Approve")).ToHaveCountAsync(0);
            await Assertions.Expect(view.Notice("decided")).ToBeVisibleAsync();
        });

        await TestStep.RunAsync(page, "plans-prod-edit", async () =>
        {
            await Assertions.Expect(details.ApprovalCount).ToHaveTextAsync("1 of 2 for revision 1");
            await details.EditLink.ClickAsync();
            var editor = await PlanEditorPage.ForEditAsync(page);
            await Assertions.Expect(editor.SendsBackWarning).ToBeVisibleAsync();
            await editor.SetNumberAsync("Host timeout (minutes)", 45);
            await editor.SaveAsync();
            details = await PlanPage.ForAsync(page, plan);
            await Assertions.Expect(details.Revision).ToHaveTextAsync("Revision 2");
            await Assertions.Expect(details.State).ToHaveTextAsync("Pending approval");
            await Assertions.Expect(details.ApprovalCount).ToHaveTextAsync("0 of 2 for revision 2");
            await Assertions.Expect(details.Notice("needs-dry-run")).ToBeVisibleAsync();
            await Assertions.Expect(details.Decisions).ToContainTextAsync("(earlier)");
        });

        await TestStep.RunAsync(first, "plans-prod-no-decision-without-dry-run", async () =>
        {
            var view = await PlanPage.OpenAsync(first, details.Id, plan);
            await Assertions.Expect(view.Notice("needs-dry-run")).ToBeVisibleAsync();
            await view.DecideAsync(approve: true, "too early");
            await Assertions.Expect(first.GetByText("Revision 2 has no dry run yet: approvers decide on what it would change, so wait until it has run.")).ToBeVisibleAsync();
            await Assertions.Expect(view.ApprovalCount).ToHaveTextAsync("0 of 2 for revision 2");
        });

        await TestStep.RunAsync(page, "plans-prod-dry-run-again", async () => await details.DryRunAsync(expectedRevision: 2));

        var second = await secondContext.NewPageAsync();
        await TestStep.RunAsync(second, "plans-prod-two-approvals", async () =>
        {
            var view = await PlanPage.OpenAsync(second, details.Id, plan);
            await view.DecideAsync(approve: true, "second pair of eyes");
            await Assertions.Expect(view.ApprovalCount).ToHaveTextAsync("1 of 2 for revision 2");
            var firstView = await PlanPage.OpenAsync(first, details.Id, plan);
            await firstView.DecideAsync(approve: true, "still fine after the edit");
            await Assertions.Expect(firstView.State).ToHaveTextAsync("Scheduled", new() { Timeout = 30_000 });
        });

        await TestStep.RunAsync(page, "plans-prod-cancel", async () =>
        {
            await Assertions.Expect(details.State).ToHaveTextAsync("Scheduled", new() { Timeout = 30_000 });
            await details.CancelPlanAsync("e2e: done");
        });

        await TestStep.RunAsync(adminPage, "plans-prod-refusal-audited", async () =>
        {
            var audit = await AuditPage.OpenAsync(adminPage);
            var refused = audit.Rows.Filter(new() { HasText = "plan.refused" }).Filter(new() { HasText = "plans-first@e2e.test" });
            await Assertions.Expect(refused).ToContainTextAsync("Revision 2 has no dry run yet");
            await Assertions.Expect(audit.Rows.Filter(new() { HasText = "plan.cancel" }).Filter(new() { HasText = "e2e: done" })).ToHaveCountAsync(1);
        });
    }

    [Fact]
    public async Task PlanEditor_ShowsClearMessages_WhenInputIsBad()
    {
        await using var admin = await fixture.NewAdminContextAsync();
        var page = await admin.NewPageAsync();

        await TestStep.RunAsync(page, "plans-bad-input", async () =>
        {
            var editor = await PlanEditorPage.OpenNewAsync(page);
            await editor.ChooseAsync(PlanTimings.Now);
            await editor.SaveAsync();
            await Assertions.Expect(editor.Error).ToHaveTextAsync("Some fields need attention.");
            await Assertions.Expect(editor.Message("Enter a name.")).ToBeVisibleAsync();
            await Assertions.Expect(editor.TargetsError).ToHaveTextAsync("Choose at least one group, tag or host.");

            await editor.FillNameAsync("Bad plan");
            await editor.ChooseAsync("Named packages");
            await editor.Field("Packages").FillAsync("openssl, -rf");
            await editor.Field("Exclusions").FillAsync("*");
            await editor.SetNumberAsync("Batch size", 150);
            await editor.Field("Batch size in percent").CheckAsync();
            await editor.SetNumberAsync("Host timeout (minutes)", 0);
            await editor.SaveAsync();
            await Assertions.Expect(editor.Message("'-rf' is not a package name: use lower-case letters, digits and + . _ - (optionally :arch), at most 128 characters, not starting with '-'.")).ToBeVisibleAsync();
            await Assertions.Expect(editor.Message("'*' would exclude every package.")).ToBeVisibleAsync();
            await Assertions.Expect(editor.Message("A batch is from 1 to 100 percent of the hosts.")).ToBeVisibleAsync();
            await Assertions.Expect(editor.Message("The host timeout is from 1 to 1440 minutes.")).ToBeVisibleAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/plans/new$"));
        });
    }

    private static class PlanTimings
    {
        public const string Occurrence = "A chosen occurrence of the window";
        public const string Next = "The next occurrence of the window";
        public const string Now = "Now, as soon as it is approved";
    }
}
