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

    /// <summary>
    /// Fills the field a dialog focuses on its own once rendered, then the next one, and checks both: on a busy machine
    /// that autofocus can come late and pull the typing meant for the second field into the first, so both are
    /// filled again until they hold what was typed.
    /// </summary>
    protected static async Task FillAsync(ILocator first, string firstValue, ILocator second, string secondValue)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await first.FillAsync(firstValue);
            await second.FillAsync(secondValue);
            if (await first.InputValueAsync() == firstValue && await second.InputValueAsync() == secondValue)
            {
                break;
            }
        }

        await Assertions.Expect(first).ToHaveValueAsync(firstValue);
        await Assertions.Expect(second).ToHaveValueAsync(secondValue);
    }

    /// <summary>Waits until the circuit has rendered the shell (there is no prerendering, so this means interactive).</summary>
    public async Task WaitUntilReadyAsync()
    {
        await Assertions.Expect(SignOutButton).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(Heading).ToBeVisibleAsync(new() { Timeout = 30_000 });
    }
}
