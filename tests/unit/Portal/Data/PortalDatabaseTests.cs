namespace PatchPortal.Tests.Unit.Portal.Data;

public sealed class PortalDatabaseTests
{
    [Fact]
    public async Task StartAsync_Fails_WhenProviderIsUnknown()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => PortalTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Portal:Database:Provider"] = "oracle",
        }));

        Assert.Contains("oracle", error.Message, StringComparison.Ordinal);
    }
}
