using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Inventory;
using PatchPortal.Portal.Plans;
using PatchPortal.Portal.Runs;
using PatchPortal.Portal.Windows;
using PatchPortal.Tests.Unit.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Plans;

[Collection(HangfireGlobalState.Name)]
public sealed class PlansRegistrationTests : IDisposable
{
    public void Dispose() => HangfireGlobalState.Reset();

    private static Task<PortalTestHost> StartAsync(string? cron = null) => PortalTestHost.StartAsync(
        cron is null ? null : new Dictionary<string, string?> { ["Portal:Plans:ExpiryCron"] = cron },
        b =>
        {
            b.AddInventory();
            b.AddPlans();
        },
        s =>
        {
            s.AddSingleton<IMaintenanceSchedule, DailySchedule>();
            s.AddSingleton<IRunScheduler, RecordingRunScheduler>();
            s.AddSingleton<PatchPortal.Portal.Agents.IAgentClient, ScriptedAgentClient>();
        });

    [Fact]
    public async Task AddPlans_RegistersExpirySweepEveryMinuteInUtc_WhenPortalStarts()
    {
        await using var portal = await StartAsync();

        using var connection = portal.Services.GetRequiredService<JobStorage>().GetConnection();
        var job = Assert.Single(connection.GetRecurringJobs(), j => j.Id == PlanExpiryJob.JobId);

        Assert.Equal(("* * * * *", "UTC", nameof(PlanExpiryJob.ExpireAsync)), (job.Cron, job.TimeZoneId, job.Job.Method.Name));
        Assert.NotNull(portal.GetScoped<PlanExpiryJob>());
    }

    [Fact]
    public async Task AddPlans_FailsStartNamingKey_WhenExpiryCronIsInvalid()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync("whenever"));

        Assert.Contains("Portal:Plans:ExpiryCron", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanExpiryJob_DeclaresNoHangfireRetries_WhenDefined()
    {
        var retry = Assert.Single(typeof(PlanExpiryJob).GetCustomAttributes(typeof(AutomaticRetryAttribute), inherit: false).Cast<AutomaticRetryAttribute>());

        Assert.Equal(0, retry.Attempts);
    }
}
