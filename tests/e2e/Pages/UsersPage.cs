using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>Settings → Users.</summary>
public sealed class UsersPage(IPage page) : ShellPage(page)
{
    public ILocator NewUserButton => Page.GetByRole(AriaRole.Button, new() { Name = "New user" });

    public ILocator Grid => Page.GetByRole(AriaRole.Table);

    public ILocator Row(string email) => Grid.GetByRole(AriaRole.Row).Filter(new() { HasText = email });

    public static async Task<UsersPage> OpenAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync("/settings/users");
        var users = new UsersPage(page);
        await users.WaitUntilReadyAsync();
        await Assertions.Expect(users.Heading).ToHaveTextAsync("Users");
        return users;
    }

    /// <summary>Changes a user's role through the row's menu and confirms the dialog.</summary>
    public async Task ChangeRoleAsync(string email, string role)
    {
        await Row(email).GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();
        await Page.GetByRole(AriaRole.Menuitem, new() { Name = role, Exact = true }).ClickAsync();
        await ConfirmAsync("Change role");
        await Assertions.Expect(Row(email)).ToContainTextAsync(role);
    }

    /// <summary>Resets a user's password, confirms, and returns the generated password shown once.</summary>
    public async Task<string> ResetPasswordAsync(string email)
    {
        await Page.GetByRole(AriaRole.Button, new() { Name = $"Reset password of {email}" }).ClickAsync();
        await ConfirmAsync("Reset password");
        return await ReadOneTimePasswordAsync();
    }

    private async Task ConfirmAsync(string button)
    {
        var dialog = Page.GetByRole(AriaRole.Dialog);
        await dialog.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();
    }

    private async Task<string> ReadOneTimePasswordAsync()
    {
        var passwordDialog = Page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "Password for" });
        var passwordField = passwordDialog.GetByLabel("Password", new() { Exact = true });
        // The user's change commits before the dialog opens: on a busy machine that can take longer than the default wait.
        await Assertions.Expect(passwordField).ToHaveValueAsync(new System.Text.RegularExpressions.Regex(".{12,}"), new() { Timeout = 30_000 });
        var password = await passwordField.InputValueAsync();
        await passwordDialog.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Assertions.Expect(passwordDialog).ToHaveCountAsync(0);
        return password;
    }

    /// <summary>Creates a user with the given role and returns the one-time password the portal shows.</summary>
    public async Task<string> CreateUserAsync(string email, string role)
    {
        await NewUserButton.ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Email", new() { Exact = true }).FillAsync(email);
        if (role != "Viewer")
        {
            await dialog.GetByLabel("Role", new() { Exact = true }).ClickAsync();
            await Page.GetByRole(AriaRole.Option, new() { Name = role, Exact = true }).ClickAsync();
        }

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();

        var password = await ReadOneTimePasswordAsync();
        await Assertions.Expect(Row(email)).ToContainTextAsync(role);
        return password;
    }
}
