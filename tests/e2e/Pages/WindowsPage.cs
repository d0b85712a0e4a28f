using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>The Windows page at /windows: the windows grid and the Blackouts tab.</summary>
public sealed class WindowsPage(IPage page) : ShellPage(page)
{
    public ILocator BlackoutDialog => Page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "New blackout" });

    public static async Task<WindowsPage> OpenAsync(IPage page, string? query = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync(query is null ? "/windows" : $"/windows?{query}");
        var windows = new WindowsPage(page);
        await windows.WaitUntilReadyAsync();
        await Assertions.Expect(windows.Heading).ToHaveTextAsync("Windows");
        await Assertions.Expect(page.GetByText("Times in ").First).ToBeVisibleAsync();
        return windows;
    }

    public ILocator Row(string name) => Page.Locator("tbody tr").Filter(new() { HasText = name });

    /// <summary>Creates a blackout through the dialog on the Blackouts tab; start and end are the viewer's wall-clock times.</summary>
    public async Task CreateBlackoutAsync(string name, DateTime startsLocal, DateTime endsLocal, string? group)
    {
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Blackouts" }).ClickAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "New blackout" }).ClickAsync();
        var dialog = BlackoutDialog;
        await FillAsync(dialog.GetByLabel("Name", new() { Exact = true }), name, dialog.GetByLabel("Reason", new() { Exact = true }), "e2e freeze");
        await dialog.GetByLabel("Starts", new() { Exact = true }).FillAsync(startsLocal.ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await dialog.GetByLabel("Ends", new() { Exact = true }).FillAsync(endsLocal.ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        if (group is null)
        {
            await dialog.GetByText("Applies to everything").ClickAsync();
        }
        else
        {
            await dialog.GetByLabel("Groups", new() { Exact = true }).ClickAsync();
            await Page.GetByRole(AriaRole.Option, new() { Name = group, Exact = true }).ClickAsync();
            await dialog.GetByText("Times in your zone").ClickAsync();
        }

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await Assertions.Expect(Row(name)).ToBeVisibleAsync();
    }
}
