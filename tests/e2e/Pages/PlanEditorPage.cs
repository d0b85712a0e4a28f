using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>The plan editor at /plans/new and /plans/{id}/edit: what, where, when and how.</summary>
public sealed class PlanEditorPage(IPage page) : ShellPage(page)
{
    public ILocator Error => Page.GetByTestId("plan-error");

    public ILocator TargetsError => Page.GetByTestId("targets-error");

    public ILocator SendsBackWarning => Page.GetByTestId("sends-back");

    public ILocator Occurrences => Page.Locator("[aria-label='Occurrences']");

    public ILocator Section(string name) => Page.Locator($"[aria-label='{name}']");

    public ILocator Field(string label) => Page.GetByLabel(label, new() { Exact = true });

    public static async Task<PlanEditorPage> OpenNewAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync("/plans/new");
        var editor = new PlanEditorPage(page);
        await editor.WaitUntilReadyAsync();
        await Assertions.Expect(editor.Heading).ToHaveTextAsync("New plan");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Create plan" })).ToBeVisibleAsync();
        return editor;
    }

    /// <summary>Waits for the editor of an existing plan (after following its Edit link).</summary>
    public static async Task<PlanEditorPage> ForEditAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var editor = new PlanEditorPage(page);
        await editor.WaitUntilReadyAsync();
        await Assertions.Expect(editor.Heading).ToHaveTextAsync("Edit plan");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save changes" })).ToBeVisibleAsync();
        return editor;
    }

    public Task FillNameAsync(string name) => Field("Name").FillAsync(name);

    public Task ChooseAsync(string radio) => Page.GetByRole(AriaRole.Radio, new() { Name = radio, Exact = true }).CheckAsync();

    public async Task ChooseGroupAsync(string group)
    {
        await Field("Groups").ClickAsync();
        await Page.GetByRole(AriaRole.Option).Filter(new() { HasText = group + " (" }).ClickAsync();
        // A multi-select stays open; Escape closes its list.
        await Page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(Page.GetByTestId("target-preview")).ToContainTextAsync("host(s) targeted");
    }

    public async Task ChooseWindowAsync(string window)
    {
        await Field("Maintenance window").ClickAsync();
        await Page.GetByRole(AriaRole.Option).Filter(new() { HasText = window + " (" }).ClickAsync();
        await Assertions.Expect(Occurrences).ToBeVisibleAsync();
    }

    /// <summary>Picks the first listed occurrence and returns its text (the viewer's zone named).</summary>
    public async Task<string> ChooseFirstOccurrenceAsync()
    {
        var first = Occurrences.GetByRole(AriaRole.Radio).First;
        await first.CheckAsync();
        return await Occurrences.Locator("label").First.InnerTextAsync();
    }

    public async Task SetNumberAsync(string label, int value) =>
        await Field(label).FillAsync(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public Task SaveAsync() =>
        Page.GetByRole(AriaRole.Button, new() { Name = "Create plan" }).Or(Page.GetByRole(AriaRole.Button, new() { Name = "Save changes" })).ClickAsync();

    /// <summary>The message shown at a field (MudBlazor writes it below the input).</summary>
    public ILocator Message(string text) => Page.GetByText(text, new() { Exact = true });
}
