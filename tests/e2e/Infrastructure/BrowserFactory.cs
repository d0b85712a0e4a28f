using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Infrastructure;

/// <summary>Debian's Chromium driven by Playwright; Playwright never downloads a browser here.</summary>
public static class BrowserFactory
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright)
    {
        ArgumentNullException.ThrowIfNull(playwright);
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run",
            ],
        });
    }
}
