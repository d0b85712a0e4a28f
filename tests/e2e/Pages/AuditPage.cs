using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>The read-only audit trail.</summary>
public sealed class AuditPage(IPage page) : ShellPage(page)
{
    public ILocator Grid => Page.GetByRole(AriaRole.Table);

    public ILocator Rows => Grid.Locator("tbody").GetByRole(AriaRole.Row);

    public ILocator ActorFilter => Page.GetByLabel("Actor");

    public static async Task<AuditPage> OpenAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync("/audit");
        var audit = new AuditPage(page);
        await audit.WaitUntilReadyAsync();
        await Assertions.Expect(audit.Heading).ToHaveTextAsync("Audit");
        return audit;
    }
}
