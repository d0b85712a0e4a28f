namespace PatchPortal.Tests.Unit.Agent.Packages;

/// <summary>Captured command output under tests/unit/TestData (copied next to the test assembly).</summary>
internal static class TestData
{
    public static string Read(string relativePath) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", relativePath));
}
