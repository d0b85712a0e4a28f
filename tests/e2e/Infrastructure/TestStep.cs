using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Infrastructure;

/// <summary>Runs one named step of a browser test and saves a screenshot under tests/e2e/screenshots/ if it fails.</summary>
public static class TestStep
{
    public static async Task RunAsync(IPage page, string name, Func<Task> action)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            await action();
        }
        catch (Exception)
        {
            Directory.CreateDirectory(TestPaths.ScreenshotDirectory);
            var file = Path.Combine(TestPaths.ScreenshotDirectory, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Sanitize(name)}.png");
            try
            {
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
            }
            catch (PlaywrightException)
            {
                // The page may be gone; the original failure matters more than the picture.
            }

            throw;
        }
    }

    private static string Sanitize(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) ? c : '-'));
}
