using MudBlazor.Services;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Shell;

internal static class ShellExtensions
{
    /// <summary>Blazor (interactive server), MudBlazor and the per-circuit services of the shell.</summary>
    public static IHostApplicationBuilder AddPortalShell(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddScoped<BrowserTimeZone>();
        builder.Services.AddScoped<CircuitContext>();
        return builder;
    }

    public static WebApplication MapPortalShell(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
