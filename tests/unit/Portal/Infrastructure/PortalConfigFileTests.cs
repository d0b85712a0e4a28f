using Microsoft.AspNetCore.Builder;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Tests.Unit.Portal.Infrastructure;

/// <summary>The operator's file named by Portal:Config (/etc/patch-portal/portal.json in the packages).</summary>
public sealed class PortalConfigFileTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"portal-config-{Guid.NewGuid():N}.json");

    public PortalConfigFileTests() =>
        File.WriteAllText(_file, """{ "Portal": { "DataDir": "/var/lib/from-file", "Urls": "http://127.0.0.1:6001" } }""");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void AddPortalHosting_FileOverridesAppSettings_WhenPortalConfigNamesAFile()
    {
        var builder = WebApplication.CreateBuilder([$"--Portal:Config={_file}"]);

        builder.AddPortalHosting();

        Assert.Equal("/var/lib/from-file", builder.Configuration["Portal:DataDir"]);
    }

    [Fact]
    public void AddPortalHosting_CommandLineWinsOverTheFile()
    {
        var builder = WebApplication.CreateBuilder([$"--Portal:Config={_file}", "--Portal:DataDir=/srv/override"]);

        builder.AddPortalHosting();

        Assert.Equal("/srv/override", builder.Configuration["Portal:DataDir"]);
    }

    [Fact]
    public void AddPortalHosting_Throws_WhenTheNamedFileIsMissing()
    {
        var builder = WebApplication.CreateBuilder(["--Portal:Config=/nonexistent/portal.json"]);

        var error = Assert.Throws<FileNotFoundException>(() => builder.AddPortalHosting());

        Assert.Contains("Portal:Config", error.Message, StringComparison.Ordinal);
    }
}
