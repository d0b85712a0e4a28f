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

    public async Task CreateGroupAsync(string name)
    {
        await NewGroupButton.ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "New group" });
        await dialog.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Assertions.Expect(Row(name)).ToBeVisibleAsync();
    }
}
