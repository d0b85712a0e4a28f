using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>The fleet dashboard at "/": one card per figure, each a link into the filtered host list.</summary>
public sealed class DashboardPage(IPage page) : ShellPage(page)
{
    /// <summary>A card by its label; its accessible name is "Label: count".</summary>
    public ILocator Card(string label) =>
        Page.GetByRole(AriaRole.Link, new() { NameRegex = new Regex($"^{Regex.Escape(label)}: \\d+$") });

    public static async Task<DashboardPage> OpenAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync("/");
        var dashboard = new DashboardPage(page);
        await dashboard.WaitUntilReadyAsync();
        await Assertions.Expect(dashboard.Heading).ToHaveTextAsync("Dashboard");
        return dashboard;
    }
}
