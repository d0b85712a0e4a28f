using System.Reflection;

namespace PatchPortal.Tests.E2E.Infrastructure;

/// <summary>Paths the build wrote into the test assembly (see Tests.E2E.csproj).</summary>
public static class TestPaths
{
    public static string PortalAssembly => Path.GetFullPath(Metadata("PortalAssembly"));

    public static string ScreenshotDirectory => Path.GetFullPath(Metadata("ScreenshotDirectory"));

    private static string Metadata(string key) =>
        typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing.");
}
