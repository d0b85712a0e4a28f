using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>API tokens at /account/tokens.</summary>
public sealed class ApiTokensPage(IPage page) : ShellPage(page)
{
    public ILocator Table => Page.Locator("table");

    public ILocator Row(string name) => Table.Locator("tbody tr").Filter(new() { HasText = name });

    public ILocator Scope(string scope) => Page.GetByRole(AriaRole.Checkbox, new() { Name = char.ToUpperInvariant(scope[0]) + scope[1..], Exact = true });

    public static async Task<ApiTokensPage> OpenAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync("/account/tokens");
        var tokens = new ApiTokensPage(page);
        await tokens.WaitUntilReadyAsync();
        await Assertions.Expect(tokens.Heading).ToHaveTextAsync("API tokens");
        return tokens;
    }

    /// <summary>Creates a token with exactly the given scopes (read, write, approve) and returns the secret shown once.</summary>
    public async Task<string> CreateAsync(string name, params string[] scopes)
    {
        await Page.Locator("#token-name").FillAsync(name);
        foreach (var scope in new[] { "read", "write", "approve" })
        {
            var box = Scope(scope);
            if (await box.IsDisabledAsync())
            {
                Assert.DoesNotContain(scope, scopes);
                continue;
            }

            await box.SetCheckedAsync(scopes.Contains(scope));
        }

        await Page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        var secret = Page.GetByLabel("New API token");
        await Assertions.Expect(secret).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^pp_[A-Za-z0-9_-]{43}$"));
        await Assertions.Expect(Row(name)).ToBeVisibleAsync();
        return await secret.InputValueAsync();
    }

    /// <summary>Revokes a token through its row and the confirmation dialog.</summary>
    public async Task RevokeAsync(string name)
    {
        await Page.GetByRole(AriaRole.Button, new() { Name = $"Revoke {name}" }).ClickAsync();
        await Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Button, new() { Name = $"Revoke {name}" })).ToHaveCountAsync(0);
    }
}
