using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>One host's page at /hosts/{id}.</summary>
public sealed class HostPage(IPage page) : ShellPage(page)
{
    public ILocator RemoveButton => Page.GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true });

    public ILocator EditButton => Page.GetByRole(AriaRole.Button, new() { Name = "Edit", Exact = true });

    public ILocator ConfirmDialog => Page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "Remove host" });

    /// <summary>Opens a host from the list by clicking its name.</summary>
    public static async Task<HostPage> OpenFromListAsync(HostsPage list, IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(page);
        await list.Row(name).GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).ClickAsync();
        var host = new HostPage(page);
        await Assertions.Expect(host.Heading).ToHaveTextAsync(name);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Facts" })).ToBeVisibleAsync();
        return host;
    }
}
