using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>The Groups page at /groups.</summary>
public sealed class GroupsPage(IPage page) : ShellPage(page)
{
    public ILocator NewGroupButton => Page.GetByRole(AriaRole.Button, new() { Name = "New group" });

    public ILocator Row(string name) => Page.Locator("tbody").GetByRole(AriaRole.Row)
        .Filter(new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }) });

    public static async Task<GroupsPage> OpenAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync("/groups");
        var groups = new GroupsPage(page);
        await groups.WaitUntilReadyAsync();
        await Assertions.Expect(groups.Heading).ToHaveTextAsync("Groups");
        return groups;
    }

    /// <summary>Creates a group; <paramref name="environment"/> other than the default picks it (Production asks two approvals).</summary>
    public async Task CreateGroupAsync(string name, string? environment = null)
    {
        await NewGroupButton.ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "New group" });
        await dialog.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        if (environment is not null)
        {
            await dialog.GetByLabel("Environment", new() { Exact = true }).ClickAsync();
            await Page.GetByRole(AriaRole.Option, new() { Name = environment, Exact = true }).ClickAsync();
        }
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Assertions.Expect(Row(name)).ToBeVisibleAsync();
    }
}
