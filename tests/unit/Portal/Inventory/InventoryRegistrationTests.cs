using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Inventory;

[Collection(HangfireGlobalState.Name)]
public sealed class InventoryRegistrationTests : IDisposable
{
    public void Dispose() => HangfireGlobalState.Reset();

    [Fact]
    public async Task AddInventory_RegistersFleetPollsWithConfiguredCronInUtc_WhenPortalStarts()
    {
        await using var portal = await PortalTestHost.StartAsync(
            new Dictionary<string, string?> { ["Portal:Inventory:PollCron"] = "*/10 * * * *" },
            b => b.AddInventory());

        using var connection = portal.Services.GetRequiredService<JobStorage>().GetConnection();
        var jobs = connection.GetRecurringJobs().OrderBy(j => j.Id, StringComparer.Ordinal)
            .Select(j => (j.Id, j.Cron, j.TimeZoneId, j.Queue, j.Job.Method.Name)).ToList();

        Assert.Equal(
        [
            (FleetRefreshJob.HealthJobId, "* * * * *", "UTC", InventoryQueues.Default, nameof(FleetRefreshJob.PollHealthAsync)),
            (FleetRefreshJob.InventoryJobId, "*/10 * * * *", "UTC", InventoryQueues.Default, nameof(FleetRefreshJob.PollAsync)),
        ], jobs);
        Assert.True(File.Exists(Path.Combine(portal.DataDir, "hangfire.db")));
    }

    [Fact]
    public async Task AddInventory_FailsStartNamingKey_WhenCronIsInvalid()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PortalTestHost.StartAsync(
            new Dictionary<string, string?> { ["Portal:Inventory:HealthCron"] = "every minute" },
            b => b.AddInventory()));

        Assert.Contains("Portal:Inventory:HealthCron", error.Message, StringComparison.Ordinal);
    }
}
