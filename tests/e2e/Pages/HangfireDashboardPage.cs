using Microsoft.Playwright;

namespace PatchPortal.Tests.E2E.Pages;

/// <summary>Hangfire's own dashboard under /hangfire (server-rendered pages, not the portal's shell).</summary>
public sealed class HangfireDashboardPage(IPage page)
{
    public const string Path = "/hangfire";

    public IPage Page { get; } = page;

    public ILocator RecurringJob(string id) => Page.GetByRole(AriaRole.Row).Filter(new() { HasText = id });

    /// <summary>Opens a dashboard page and returns the HTTP response (the status says whether the user was let in).</summary>
    public async Task<IResponse?> GotoAsync(string subPath = "")
    {
        return await Page.GotoAsync(Path + subPath);
    }
}
