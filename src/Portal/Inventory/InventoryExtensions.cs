using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.Storage.SQLite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Inventory;

internal static class InventoryExtensions
{
    public const string DashboardPath = "/hangfire";

    /// <summary>Hangfire (storage, servers, recurring polls) and the inventory jobs.</summary>
    public static IHostApplicationBuilder AddInventory(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<InventoryOptions>().BindConfiguration(InventoryOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        var inventory = builder.Configuration.GetSection(InventoryOptions.Section).Get<InventoryOptions>() ?? new InventoryOptions();

        var useStorage = StorageFor(builder);
        var node = PortalOptions.NodeNameOf(builder.Configuration);
        services.AddHangfire(config => useStorage(config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()));
        // Before the servers: bad cron fails start before any worker runs, and the polls exist when scheduling begins.
        services.AddHostedService<RecurringPolls>();
        // Two small servers on a two-core box: general jobs, and the inventory queue whose worker count is the
        // bound on concurrent agent calls. Most of a refresh is waiting for the network, not CPU.
        services.AddHangfireServer(o =>
        {
            o.ServerName = $"{node}:default";
            o.WorkerCount = 2;
            o.Queues = [InventoryQueues.Default];
        });
        services.AddHangfireServer(o =>
        {
            o.ServerName = $"{node}:inventory";
            o.WorkerCount = inventory.ConcurrentRefreshes;
            o.Queues = [InventoryQueues.Inventory];
        });

        services.TryAddSingleton(TimeProvider.System);
        services.AddEventHub<HostEventHub>();
        services.AddTransient<HostRefreshJob>();
        services.AddTransient<HostHealthJob>();
        services.AddTransient<FleetRefreshJob>();
        services.AddSingleton<IHostRefreshScheduler, HangfireHostRefreshScheduler>();
        return builder;
    }

    /// <summary>The Hangfire dashboard, for Admins only: anonymous visitors are sent to sign in, others get 403.</summary>
    public static WebApplication MapHangfireDashboardForAdmins(this WebApplication app)
    {
        // Hangfire refuses with an empty 403, which browsers show as a failed navigation: say what happened.
        app.UseWhen(http => http.Request.Path.StartsWithSegments(DashboardPath, StringComparison.OrdinalIgnoreCase), branch =>
            branch.UseStatusCodePages("text/plain", "{0}: the jobs dashboard is for administrators only."));
        app.MapHangfireDashboard(DashboardPath, new DashboardOptions
        {
            // Replaces Hangfire's default local-requests-only filter: the portal's own policy decides.
            Authorization = [],
            AsyncAuthorization = [new AdminDashboardAuthorizationFilter()],
            DisplayStorageConnectionString = false,
            DashboardTitle = "PatchPortal jobs",
            AppPath = "/",
        }).RequireAuthorization();
        return app;
    }

    // On SQLite Hangfire keeps its own file next to the portal's database so its polling never contends with EF's
    // writes. On PostgreSQL its schema ("hangfire") sits in the shared database: that is what lets several portal
    // nodes share the work.
    private static Action<IGlobalConfiguration> StorageFor(IHostApplicationBuilder builder)
    {
        var (provider, connectionString) = DataExtensions.ResolveDatabase(builder);
        if (PortalDatabase.IsPostgres(provider))
        {
            var options = new PostgreSqlStorageOptions
            {
                SchemaName = "hangfire",
                PrepareSchemaIfNecessary = true,
                QueuePollInterval = TimeSpan.FromSeconds(2),
                // A fetched job is kept alive by its worker's heartbeat; a node that dies frees its jobs for the
                // others after this long instead of Hangfire's default half hour.
                UseSlidingInvisibilityTimeout = true,
                InvisibilityTimeout = TimeSpan.FromMinutes(2),
            };
            return config => config.UsePostgreSqlStorage(c => c.UseNpgsqlConnection(connectionString), options);
        }

        var dataDir = DataExtensions.ResolveDataDir(builder);
        Directory.CreateDirectory(dataDir);
        var file = Path.Combine(dataDir, "hangfire.db");
        return config => config.UseSQLiteStorage(file, new SQLiteStorageOptions
        {
            // "Refresh now" should start within a couple of seconds, not the default quarter minute.
            QueuePollInterval = TimeSpan.FromSeconds(2),
        });
    }

    /// <summary>Registers (or updates) the recurring fleet polls at start, in UTC.</summary>
    private sealed class RecurringPolls(IRecurringJobManager recurring, IOptions<InventoryOptions> options, ILogger<RecurringPolls> logger)
        : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var utc = new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc };
            Add(FleetRefreshJob.InventoryJobId, $"{InventoryOptions.Section}:PollCron", options.Value.PollCron,
                cron => recurring.AddOrUpdate<FleetRefreshJob>(FleetRefreshJob.InventoryJobId, InventoryQueues.Default,
                    j => j.PollAsync(CancellationToken.None), cron, utc));
            Add(FleetRefreshJob.HealthJobId, $"{InventoryOptions.Section}:HealthCron", options.Value.HealthCron,
                cron => recurring.AddOrUpdate<FleetRefreshJob>(FleetRefreshJob.HealthJobId, InventoryQueues.Default,
                    j => j.PollHealthAsync(CancellationToken.None), cron, utc));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        private void Add(string jobId, string key, string cron, Action<string> add)
        {
            try
            {
                add(cron);
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"{key} is not a valid cron expression: '{cron}'.", e);
            }

            InventoryLog.RecurringScheduled(logger, jobId, cron);
        }
    }
}
