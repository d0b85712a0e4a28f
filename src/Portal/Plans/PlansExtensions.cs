using Hangfire;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Inventory;

namespace PatchPortal.Portal.Plans;

internal static class PlansExtensions
{
    /// <summary>
    /// Plans: their commands, dry runs, queries, live hub and the recurring expiry sweep. Needs Hangfire (AddInventory),
    /// the maintenance schedule (Windows) and the run scheduler (Runs), which their features register.
    /// </summary>
    public static IHostApplicationBuilder AddPlans(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PlansOptions>().BindConfiguration(PlansOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddEventHub<PlanEventHub>();
        services.AddSingleton<DryRunBoard>();
        // Scoped (one per circuit, one per Hangfire job) so they can use the schedule and run scheduler of any lifetime.
        services.AddScoped<PlanService>();
        services.AddScoped<PlanDryRun>();
        services.AddScoped<PlanQueries>();
        services.AddTransient<PlanExpiryJob>();
        services.AddHostedService<RecurringExpiry>();
        return builder;
    }

    /// <summary>Registers (or updates) the expiry sweep at start, in UTC; a bad cron fails the start naming its key.</summary>
    private sealed class RecurringExpiry(IRecurringJobManager recurring, IOptions<PlansOptions> options, ILogger<RecurringExpiry> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var cron = options.Value.ExpiryCron;
            try
            {
                recurring.AddOrUpdate<PlanExpiryJob>(PlanExpiryJob.JobId, InventoryQueues.Default, j => j.ExpireAsync(CancellationToken.None), cron,
                    new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"{PlansOptions.Section}:ExpiryCron is not a valid cron expression: '{cron}'.", e);
            }

            PlansLog.RecurringScheduled(logger, PlanExpiryJob.JobId, cron);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
