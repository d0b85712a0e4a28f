using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>The static sign-in page.</summary>
public sealed class LoginPage(IPage page)
{
    public ILocator Email => page.GetByLabel("Email", new() { Exact = true });

    public ILocator Password => page.GetByLabel("Password", new() { Exact = true });

    public ILocator SignInButton => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" });

    public ILocator Error => page.GetByRole(AriaRole.Alert);

    public static async Task<LoginPage> OpenAsync(IPage page, Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync(new Uri(baseAddress, "/account/login").ToString());
        var login = new LoginPage(page);
        await Assertions.Expect(login.SignInButton).ToBeVisibleAsync();
        return login;
    }

    public async Task SignInAsync(string email, string password)
    {
        await Email.FillAsync(email);
        await Password.FillAsync(password);
        await SignInButton.ClickAsync();
    }
}
