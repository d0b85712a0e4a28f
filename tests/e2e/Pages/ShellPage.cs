using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>The interactive shell around every page: app bar, navigation drawer, page heading.</summary>
public class ShellPage(IPage page)
{
    protected IPage Page { get; } = page;

    public ILocator Navigation => Page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" });

    public ILocator Heading => Page.GetByRole(AriaRole.Heading, new() { Level = 1 });

    public ILocator SignOutButton => Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" });

    public ILocator NavLink(string name) => Navigation.GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    /// <summary>Waits until the circuit has rendered the shell (there is no prerendering, so this means interactive).</summary>
    public async Task WaitUntilReadyAsync()
    {
        await Assertions.Expect(SignOutButton).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(Heading).ToBeVisibleAsync(new() { Timeout = 30_000 });
    }
}
