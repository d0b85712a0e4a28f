using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>One plan at /plans/{id}: state, actions, manifest, decisions, timeline, runs.</summary>
public sealed partial class PlanPage(IPage page) : ShellPage(page)
{
    public ILocator State => Page.GetByTestId("plan-state");

    public ILocator Revision => Page.GetByTestId("plan-revision");

    public ILocator ApprovalCount => Page.GetByTestId("approval-count");

    public ILocator ManifestStatus => Page.GetByTestId("manifest-status");

    public ILocator ManifestHosts => Page.Locator("[aria-label='Manifest hosts'] tbody tr");

    public ILocator Manifest => Page.Locator("[aria-label='Dry-run manifest'] tbody tr");

    public ILocator ManifestFilter => Page.GetByLabel("Filter manifest", new() { Exact = true });

    public ILocator Decisions => Page.Locator("[aria-label='Decisions']");

    public ILocator Timeline => Page.Locator("[aria-label='Timeline']");

    public ILocator Notice(string testId) => Page.GetByTestId(testId);

    public ILocator Button(string name) => Page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    public ILocator EditLink => Page.GetByRole(AriaRole.Link, new() { Name = "Edit", Exact = true });

    /// <summary>The plan's id, read from the URL.</summary>
    public Guid Id => Guid.Parse(IdInUrl().Match(Page.Url).Groups[1].Value);

    /// <summary>Waits until a plan page is shown (after creating one or following a link).</summary>
    public static async Task<PlanPage> ForAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        await Assertions.Expect(page).ToHaveURLAsync(IdInUrl(), new() { Timeout = 20_000 });
        var plan = new PlanPage(page);
        await plan.WaitUntilReadyAsync();
        await Assertions.Expect(plan.Heading).ToHaveTextAsync(name);
        await Assertions.Expect(plan.State).ToBeVisibleAsync();
        return plan;
    }

    public static async Task<PlanPage> OpenAsync(IPage page, Guid id, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync($"/plans/{id}");
        return await ForAsync(page, name);
    }

    /// <summary>Starts the dry run and waits until its result is on the page.</summary>
    public async Task DryRunAsync(int expectedRevision)
    {
        await Button("Dry run").ClickAsync();
        await Assertions.Expect(ManifestStatus).ToContainTextAsync($"Revision {expectedRevision}, checked", new() { Timeout = 180_000 });
        await Assertions.Expect(ManifestStatus).Not.ToContainTextAsync("Out of date");
    }

    public async Task DecideAsync(bool approve, string comment)
    {
        var verb = approve ? "Approve" : "Reject";
        await Button(verb).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = $"{verb} revision" });
        await dialog.GetByLabel("Comment", new() { Exact = true }).FillAsync(comment);
        await dialog.GetByRole(AriaRole.Button, new() { Name = verb, Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
    }

    public async Task CancelPlanAsync(string reason)
    {
        await Button("Cancel plan").ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "Cancel the plan" });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel plan", Exact = true }).ClickAsync();
        await Assertions.Expect(dialog.GetByText("Give a reason for cancelling the plan.")).ToBeVisibleAsync();
        await dialog.GetByLabel("Reason", new() { Exact = true }).FillAsync(reason);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel plan", Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await Assertions.Expect(State).ToHaveTextAsync("Cancelled");
    }

    /// <summary>The manifest-hosts row of one host.</summary>
    public ILocator ManifestHost(string host) => ManifestHosts.Filter(new() { Has = Page.GetByRole(AriaRole.Cell, new() { Name = host, Exact = true }) });

    [GeneratedRegex(@"/plans/([0-9a-f-]{36})$")]
    private static partial Regex IdInUrl();
}
