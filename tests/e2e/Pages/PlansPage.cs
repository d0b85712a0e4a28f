using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>The plan list at /plans.</summary>
public sealed class PlansPage(IPage page) : ShellPage(page)
{
    public ILocator Rows => Page.Locator("tbody").GetByRole(AriaRole.Row);

    public ILocator WaitingForMe => Page.GetByLabel("Waiting for my approval", new() { Exact = true });

    public ILocator NewPlanButton => Page.GetByRole(AriaRole.Link, new() { Name = "New plan" });

    /// <summary>The row whose plan link is exactly this name.</summary>
    public ILocator Row(string name) => Rows.Filter(new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }) });

    public static async Task<PlansPage> OpenAsync(IPage page, string? query = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync(query is null ? "/plans" : $"/plans?{query}");
        var plans = new PlansPage(page);
        await plans.WaitUntilReadyAsync();
        await Assertions.Expect(plans.Heading).ToHaveTextAsync("Plans");
        await Assertions.Expect(page.GetByText("Times in ")).ToBeVisibleAsync();
        return plans;
    }
}
