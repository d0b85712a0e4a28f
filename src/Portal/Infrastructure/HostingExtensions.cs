using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace PatchPortal.Portal.Infrastructure;

internal static class HostingExtensions
{
    /// <summary>Loopback only unless the operator names addresses (Portal:Urls, ASPNETCORE_URLS or --urls).</summary>
    public const string DefaultUrls = "http://127.0.0.1:5080";

    public static WebApplicationBuilder AddPortalHosting(this WebApplicationBuilder builder)
    {
        builder.AddPortalConfigFile();
        var urls = builder.Configuration[$"{PortalOptions.Section}:Urls"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            urls = builder.Configuration[WebHostDefaults.ServerUrlsKey];
        }

        builder.WebHost.UseUrls(string.IsNullOrWhiteSpace(urls) ? DefaultUrls : urls);

        // Under systemd (Type=notify) the unit is "started" only once the portal listens; logs go to the journal.
        builder.Services.AddSystemd();

        // Blazor's own scripts are static web assets; load their manifest also outside Development so the
        // build output runs as `dotnet run` does.
        builder.WebHost.UseStaticWebAssets();
        return builder;
    }

    /// <summary>
    /// Reads the operator's JSON file named by <c>Portal:Config</c> (the packaged service passes
    /// <c>--Portal:Config=/etc/patch-portal/portal.json</c>). It sits above appsettings.json and below environment
    /// variables and the command line, so a one-off <c>--Portal:Urls=...</c> still wins over the file.
    /// </summary>
    private static void AddPortalConfigFile(this WebApplicationBuilder builder)
    {
        var path = builder.Configuration[$"{PortalOptions.Section}:Config"];
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }

        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"Portal:Config names {full}, which does not exist.", full);
        }

        // Right after appsettings(.Environment).json, which come after the DOTNET_-prefixed variables and before
        // the unprefixed variables and the command line.
        var sources = builder.Configuration.Sources;
        var at = sources.ToList().FindLastIndex(s => s is JsonConfigurationSource);
        var file = new ConfigurationBuilder().AddJsonFile(full, optional: false, reloadOnChange: false).Sources[0];
        sources.Insert(at + 1, file);
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
            ApplySecurityHeaders(context);
            return next(context);
        });
        return app;
    }

    /// <summary>
    /// Sets the headers on one response. HSTS only on HTTPS (a browser ignores it over HTTP, and sending it from a
    /// plain-HTTP development portal would say nothing true); behind a TLS-terminating proxy the proxy sets it.
    /// </summary>
    public static void ApplySecurityHeaders(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        // MudBlazor sets inline style attributes, hence style-src 'unsafe-inline'; scripts are same-origin only, and the
        // circuit's WebSocket is same-origin too (connect-src 'self').
        headers.ContentSecurityPolicy =
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
            "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; " +
            "form-action 'self'; object-src 'none'";
        if (context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
        }
    }
}
