using Microsoft.Extensions.FileProviders;

namespace PatchPortal.Portal.Infrastructure;

internal static class HostingExtensions
{
    /// <summary>Loopback only unless the operator names addresses (Portal:Urls, ASPNETCORE_URLS or --urls).</summary>
    public const string DefaultUrls = "http://127.0.0.1:5080";

    public static WebApplicationBuilder AddPortalHosting(this WebApplicationBuilder builder)
    {
        var urls = builder.Configuration[$"{PortalOptions.Section}:Urls"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            urls = builder.Configuration[WebHostDefaults.ServerUrlsKey];
        }

        builder.WebHost.UseUrls(string.IsNullOrWhiteSpace(urls) ? DefaultUrls : urls);

        // Blazor's own scripts are static web assets; load their manifest also outside Development so the
        // build output runs as `dotnet run` does.
        builder.WebHost.UseStaticWebAssets();
        return builder;
    }

    /// <summary>Serves the repository's top-level wwwroot (copied next to the assembly as portal-wwwroot).</summary>
    public static WebApplication UsePortalStaticFiles(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "portal-wwwroot");
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"The portal's static files are missing: {root}");
        }

        app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(root) });
        return app;
    }

    /// <summary>Security headers for every response; the CSP allows what Blazor Server and MudBlazor need.</summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            // MudBlazor sets inline style attributes, hence style-src 'unsafe-inline'; scripts are same-origin only.
            headers.ContentSecurityPolicy =
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
                "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; " +
                "form-action 'self'; object-src 'none'";
            return next(context);
        });
        return app;
    }
}
