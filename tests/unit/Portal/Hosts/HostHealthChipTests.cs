using Bunit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Tests.Unit.Portal.Shell;

namespace PatchPortal.Tests.Unit.Portal.Hosts;

public sealed class HostHealthChipTests : PortalComponentTestContext, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's tooltip services only dispose asynchronously.
    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    [Theory]
    [InlineData(HostHealth.Healthy, "mud-chip-color-success")]
    [InlineData(HostHealth.Degraded, "mud-chip-color-warning")]
    [InlineData(HostHealth.Unreachable, "mud-chip-color-error")]
    [InlineData(HostHealth.Unknown, "mud-chip-color-default")]
    public void HostHealthChip_ShowsHealthInItsColour_WhenRendered(HostHealth health, string colourClass)
    {
        var cut = Render<HostHealthChip>(p => p.Add(c => c.Health, health));

        var chip = cut.Find("[data-testid='health-chip']");
        Assert.Equal(health.ToString(), chip.TextContent.Trim());
        Assert.Contains(colourClass, chip.ClassList);
    }

    [Fact]
    public void HostHealthChip_NamesReasonInLabel_WhenReasonIsGiven()
    {
        var cut = Render<HostHealthChip>(p => p
            .Add(c => c.Health, HostHealth.Unreachable)
            .Add(c => c.Reason, "connection refused"));

        Assert.Equal("Health: Unreachable (connection refused)", cut.Find("[data-testid='health-chip']").GetAttribute("aria-label"));
    }
}
