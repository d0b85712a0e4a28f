using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>The host list at /hosts, optionally opened with filters in the query string.</summary>
public sealed class HostsPage(IPage page) : ShellPage(page)
{
    public ILocator AddHostButton => Page.GetByRole(AriaRole.Button, new() { Name = "Add host" });

    public ILocator Rows => Page.Locator("tbody").GetByRole(AriaRole.Row);

    /// <summary>The row whose host link is exactly this name.</summary>
    public ILocator Row(string name) => Rows.Filter(new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }) });

    public ILocator AddDialog => Page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "Add host" });

    public ILocator TicketDialog(string name) => Page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = $"Enrol {name}" });

    /// <summary>Opens the list; <paramref name="query"/> is the query string without '?', e.g. "health=Unreachable".</summary>
    public static async Task<HostsPage> OpenAsync(IPage page, string? query = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync(query is null ? "/hosts" : $"/hosts?{query}");
        var hosts = new HostsPage(page);
        await hosts.WaitUntilReadyAsync();
        await Assertions.Expect(hosts.Heading).ToHaveTextAsync("Hosts");
        // The grid renders once the browser told its time zone; "Times in" appears with it.
        await Assertions.Expect(page.GetByText("Times in ")).ToBeVisibleAsync();
        return hosts;
    }

    /// <summary>Fills the add dialog and submits it; the caller checks what followed (ticket, error).</summary>
    public async Task SubmitNewHostAsync(string name, string address, int? port = null, string? group = null)
    {
        if (!await AddDialog.IsVisibleAsync())
        {
            await AddHostButton.ClickAsync();
        }

        await FillAsync(AddDialog.GetByLabel("Name", new() { Exact = true }), name, AddDialog.GetByLabel("Address", new() { Exact = true }), address);
        if (port is { } p)
        {
            await AddDialog.GetByLabel("Agent port", new() { Exact = true }).FillAsync(p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (group is not null)
        {
            await AddDialog.GetByLabel("Groups", new() { Exact = true }).ClickAsync();
            await Page.GetByRole(AriaRole.Option, new() { Name = group, Exact = true }).ClickAsync();
            // A multi-select stays open; a click on the dialog's title closes its list.
            await AddDialog.GetByText("Add host", new() { Exact = true }).ClickAsync();
        }

        await AddDialog.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
    }

    /// <summary>
    /// Adds a host and waits until it is listed. If the portal issued an enrolment ticket, its dialog is read and
    /// closed and the ticket returned; without enrolment the portal says so and this returns null.
    /// </summary>
    public async Task<(string Token, string Command)?> AddHostAsync(string name, string address, string? group = null)
    {
        await SubmitNewHostAsync(name, address, group: group);
        var ticket = TicketDialog(name);
        var noEnrolment = Page.GetByText($"{name} added. Enrolment is not available");
        // Adding writes the host and its audit entry and reloads the grid: allow for a busy machine.
        await Assertions.Expect(ticket.Or(noEnrolment)).ToBeVisibleAsync(new() { Timeout = 20_000 });
        (string, string)? result = null;
        if (await ticket.IsVisibleAsync())
        {
            result = await ReadTicketAsync(name);
        }

        await Assertions.Expect(Row(name)).ToBeVisibleAsync();
        return result;
    }

    /// <summary>Adds a host and returns the once-shown install command (install.sh from the portal, then enrolment).</summary>
    public async Task<string> AddHostForInstallAsync(string name, string address)
    {
        await SubmitNewHostAsync(name, address);
        var dialog = TicketDialog(name);
        await Assertions.Expect(dialog).ToBeVisibleAsync(new() { Timeout = 20_000 });
        var command = await dialog.GetByLabel("Install command", new() { Exact = true }).InputValueAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        return command;
    }

    /// <summary>Reads the once-shown token and command, then closes the dialog with Done.</summary>
    public async Task<(string Token, string Command)> ReadTicketAsync(string name)
    {
        var dialog = TicketDialog(name);
        var token = await dialog.GetByLabel("Enrolment token", new() { Exact = true }).InputValueAsync();
        var command = await dialog.GetByLabel("Command", new() { Exact = true }).InputValueAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        return (token, command);
    }
}
