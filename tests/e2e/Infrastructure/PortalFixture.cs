using System.Collections.Concurrent;
using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Infrastructure;

/// <summary>
/// One real portal and one browser for a collection of tests, with one stored login (storage state) per user,
/// made by signing in through the login page once.
/// </summary>
public sealed class PortalFixture : IAsyncLifetime
{
    public const string AdminEmail = "admin@e2e.test";
    public const string AdminPassword = "E2e-Admin-Passw0rd";

    /// <summary>The browser's time zone, so tests can check that times are shown in the viewer's zone.</summary>
    public const string BrowserTimeZone = "Europe/Berlin";

    private readonly ConcurrentDictionary<string, string> _storageStates = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), "patchportal-e2e-state-" + Guid.NewGuid().ToString("N"));
    private IPlaywright? _playwright;

    public PortalProcess Portal { get; private set; } = default!;

    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_stateDir);
        Portal = await PortalProcess.StartAsync(
            new Dictionary<string, string>
            {
                ["Portal:Admin:Email"] = AdminEmail,
                ["Portal:Admin:Password"] = AdminPassword,
            },
            TimeSpan.FromSeconds(90));
        _playwright = await Playwright.CreateAsync();
        Browser = await BrowserFactory.LaunchChromiumAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Portal is not null)
        {
            await Portal.DisposeAsync();
        }

        Directory.Delete(_stateDir, recursive: true);
    }

    /// <summary>A fresh, signed-out browser context.</summary>
    public Task<IBrowserContext> NewAnonymousContextAsync() => Browser.NewContextAsync(ContextOptions(null));

    /// <summary>A context signed in as the given user, reusing that user's stored login after the first time.</summary>
    public async Task<IBrowserContext> NewContextAsAsync(string email, string password)
    {
        if (!_storageStates.TryGetValue(email, out var statePath))
        {
            await using var context = await NewAnonymousContextAsync();
            var page = await context.NewPageAsync();
            var login = await LoginPage.OpenAsync(page, Portal.BaseAddress);
            await login.SignInAsync(email, password);
            await new ShellPage(page).WaitUntilReadyAsync();
            statePath = Path.Combine(_stateDir, Guid.NewGuid().ToString("N") + ".json");
            await context.StorageStateAsync(new BrowserContextStorageStateOptions { Path = statePath });
            _storageStates[email] = statePath;
        }

        return await Browser.NewContextAsync(ContextOptions(statePath));
    }

    public Task<IBrowserContext> NewAdminContextAsync() => NewContextAsAsync(AdminEmail, AdminPassword);

    private BrowserNewContextOptions ContextOptions(string? storageState) => new()
    {
        BaseURL = Portal.BaseAddress.ToString(),
        TimezoneId = BrowserTimeZone,
        StorageStatePath = storageState,
        ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
    };
}

[CollectionDefinition(Name)]
public sealed class PortalTests : ICollectionFixture<PortalFixture>
{
    public const string Name = "portal";
}
