using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>One run at /runs/{id}: header, per-host table and the operators' controls.</summary>
public sealed class RunPage(IPage page) : ShellPage(page)
{
    public ILocator State => Page.Locator("[data-testid=run-state]");

    public ILocator Reason => Page.Locator("[data-testid=run-reason]");

    public ILocator Batch => Page.Locator("[data-testid=run-batch]");

    public ILocator Occurrence => Page.Locator("[data-testid=run-occurrence]");

    public ILocator HostRow(string name) =>
        Page.Locator("tr.host-row").Filter(new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }) });

    public ILocator HostState(string name) => HostRow(name).Locator("[data-testid=host-state]");

    public ILocator Control(string name) => Page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    public static async Task<RunPage> OpenAsync(IPage page, Guid runId)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync($"/runs/{runId}");
        var run = new RunPage(page);
        await run.WaitUntilReadyAsync();
        // The run renders once the browser told its time zone: a portal just restarted (still compiling) takes a while.
        await Assertions.Expect(page.GetByText("Times in ")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        return run;
    }

    public ILocator CancelDialog => Page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "Cancel the run of" });

    /// <summary>Opens the cancel confirmation and types the reason, without confirming yet.</summary>
    public async Task PrepareCancelAsync(string reason)
    {
        await Control("Cancel run").ClickAsync();
        await CancelDialog.GetByLabel("Reason").FillAsync(reason);
    }

    public async Task ConfirmCancelAsync()
    {
        await CancelDialog.GetByRole(AriaRole.Button, new() { Name = "Cancel run", Exact = true }).ClickAsync();
        await Assertions.Expect(CancelDialog).ToHaveCountAsync(0);
    }
}
