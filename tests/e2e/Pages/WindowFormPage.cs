using System.Globalization;
using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>The window form at /windows/new and /windows/{id}: fields, recurrence builder, targets and the preview.</summary>
public sealed class WindowFormPage(IPage page) : ShellPage(page)
{
    public ILocator PreviewOccurrences => Page.GetByTestId("preview-occurrence");

    public ILocator PreviewAdjustments => Page.GetByTestId("preview-adjustment");

    public ILocator Rule => Page.GetByTestId("rrule");

    public ILocator TargetsError => Page.GetByTestId("targets-error");

    public ILocator SaveButton => Page.GetByRole(AriaRole.Button, new() { Name = "Create window" }).Or(Page.GetByRole(AriaRole.Button, new() { Name = "Save window" }));

    public ILocator FormError => Page.GetByTestId("window-error");

    public static async Task<WindowFormPage> OpenNewAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync("/windows/new");
        var form = new WindowFormPage(page);
        await form.WaitUntilReadyAsync();
        await Assertions.Expect(form.Heading).ToHaveTextAsync("New window");
        // The form appears once the browser told its zone (the default zone of a new window).
        await Assertions.Expect(page.Locator("input[type=datetime-local]")).ToBeVisibleAsync();
        return form;
    }

    public Task FillNameAsync(string name) => Field("Name").FillAsync(name);

    /// <summary>Types the zone into the autocomplete and picks it from the list.</summary>
    public async Task SetTimeZoneAsync(string zone)
    {
        await Field("Time zone").FillAsync(zone);
        var option = Page.Locator(".mud-popover-open").GetByText(zone, new() { Exact = true });
        await option.ClickAsync();
        await Assertions.Expect(Page.GetByText($"In {zone}, and in your zone")).ToBeVisibleAsync();
    }

    public Task SetStartAsync(DateTime local) =>
        Page.Locator("input[type=datetime-local]").FillAsync(local.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));

    public Task SetDurationAsync(int minutes) => Field("Duration (minutes)").FillAsync(minutes.ToString(CultureInfo.InvariantCulture));

    public Task SetCutoffAsync(int minutes) => Field("Cutoff (minutes)").FillAsync(minutes.ToString(CultureInfo.InvariantCulture));

    /// <summary>Chooses what "Repeats" says: "Weekly", "Monthly", "Advanced (RRULE)"...</summary>
    public async Task SetRepeatsAsync(string choice)
    {
        await Field("Repeats").ClickAsync();
        await Page.GetByRole(AriaRole.Option, new() { Name = choice, Exact = true }).ClickAsync();
    }

    public async Task SetWeekdayAsync(string day, bool on)
    {
        var box = Page.GetByRole(AriaRole.Checkbox, new() { Name = day, Exact = true });
        if (await box.IsCheckedAsync() != on)
        {
            await box.ClickAsync();
        }

        await Assertions.Expect(box).ToBeCheckedAsync(new() { Checked = on });
    }

    public Task SetAdvancedRuleAsync(string rule) => Field("RRULE").FillAsync(rule);

    public async Task ChooseGroupAsync(string group)
    {
        await Field("Groups").ClickAsync();
        await Page.GetByRole(AriaRole.Option, new() { Name = group, Exact = true }).ClickAsync();
        // A multi-select stays open; Escape closes its list (a click elsewhere may land on the list itself when the
        // portal has many groups).
        var option = Page.GetByRole(AriaRole.Option, new() { Name = group, Exact = true });
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            // On a busy machine the key can arrive before the list listens for it: press again while it is still open.
            await Page.Keyboard.PressAsync("Escape");
            try
            {
                await Assertions.Expect(option).ToHaveCountAsync(0, new() { Timeout = 5_000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
            }
        }
    }

    public Task SaveAsync() => SaveButton.ClickAsync();

    private ILocator Field(string label) => Page.GetByLabel(label, new() { Exact = true });
}
