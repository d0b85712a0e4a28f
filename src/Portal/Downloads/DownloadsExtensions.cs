using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Downloads;

/// <summary>Where the files served under /downloads come from.</summary>
public sealed record DownloadsDirectories(string Operator, string Bundled);

/// <summary>
/// /downloads serves what a new host needs before it has a certificate: the bundled install.sh, and the agent packages
/// the operator drops into the data directory's downloads folder (patch-agent_amd64.deb, patch-agent.x86_64.rpm).
/// Nothing there is secret, so it needs no sign-in; the enrolment token is what authenticates a host.
/// </summary>
public static class DownloadsExtensions
{
    public const string RequestPath = "/downloads";

    public static WebApplicationBuilder AddDownloads(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(new DownloadsDirectories(
            Path.Combine(DataExtensions.ResolveDataDir(builder), "downloads"),
            Path.Combine(AppContext.BaseDirectory, "downloads")));
        return builder;
    }

    public static WebApplication UseDownloads(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var directories = app.Services.GetRequiredService<DownloadsDirectories>();
        Directory.CreateDirectory(directories.Operator);
        IFileProvider files = Directory.Exists(directories.Bundled)
            ? new CompositeFileProvider(new PhysicalFileProvider(directories.Operator), new PhysicalFileProvider(directories.Bundled))
            : new PhysicalFileProvider(directories.Operator);

        var types = new FileExtensionContentTypeProvider(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            [".deb"] = "application/vnd.debian.binary-package",
            [".rpm"] = "application/x-rpm",
            [".sh"] = "text/x-shellscript; charset=utf-8",
        });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files, RequestPath = RequestPath, ContentTypeProvider = types });
        return app;
    }
}
