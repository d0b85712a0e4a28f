using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;

namespace PatchPortal.Portal.Infrastructure;

internal static partial class DataExtensions
{
    /// <summary>Binds the portal's options and registers the database chosen by Portal:Database:Provider.</summary>
    public static IHostApplicationBuilder AddPortalData(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PortalOptions>().BindConfiguration(PortalOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<PortalDatabaseOptions>().BindConfiguration(PortalDatabaseOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();

        var dataDir = ResolveDataDir(builder);
        Directory.CreateDirectory(dataDir);
        var (provider, connectionString) = ResolveDatabase(builder);
        builder.Services.AddPortalDatabase(provider, connectionString);
        if (PortalDatabase.IsPostgres(provider))
        {
            // Several nodes share this database: live events cross them through LISTEN/NOTIFY.
            var services = builder.Services;
            builder.Services.AddSingleton(sp => new PostgresEventRelay(
                connectionString, RelayedHubs(services, sp), sp.GetRequiredService<ILogger<PostgresEventRelay>>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<PostgresEventRelay>());
        }
        // Keys for cookies and antiforgery live with the data, so sign-ins survive a restart.
        builder.Services.AddDataProtection()
            .SetApplicationName("PatchPortal")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "keys")));
        builder.Services.AddHostedService<DatabaseMigrator>();
        return builder;
    }

    /// <summary>
    /// Every registered hub, however a feature registered it (<see cref="EventHubRegistration.AddEventHub{THub}"/> or
    /// its own singleton): the collection is complete by the time the relay is first resolved.
    /// </summary>
    private static List<IRelayedEventHub> RelayedHubs(IServiceCollection services, IServiceProvider provider) =>
        services.Where(d => !d.IsKeyedService && d.ServiceType != typeof(IRelayedEventHub) && typeof(IRelayedEventHub).IsAssignableFrom(d.ServiceType))
            .Select(d => d.ServiceType)
            .Distinct()
            .Select(t => (IRelayedEventHub)provider.GetRequiredService(t))
            .Concat(provider.GetServices<IRelayedEventHub>())
            .ToList();

    /// <summary>
    /// The configured provider and its connection string: for SQLite by default the file portal.db in the data
    /// directory; PostgreSQL has no default and says so.
    /// </summary>
    public static (string Provider, string ConnectionString) ResolveDatabase(IHostApplicationBuilder builder)
    {
        var database = builder.Configuration.GetSection(PortalDatabaseOptions.Section).Get<PortalDatabaseOptions>()
            ?? new PortalDatabaseOptions();
        var connectionString = database.ConnectionString;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (PortalDatabase.IsPostgres(database.Provider))
            {
                throw new InvalidOperationException(
                    "Portal:Database:ConnectionString is required when Portal:Database:Provider is 'postgresql' (e.g. Host=db;Database=patchportal;Username=patchportal;Password=...).");
            }

            connectionString = $"Data Source={Path.Combine(ResolveDataDir(builder), "portal.db")}";
        }

        return (database.Provider, connectionString);
    }

    /// <summary>The absolute data directory: Portal:DataDir, relative paths taken from the content root.</summary>
    public static string ResolveDataDir(IHostApplicationBuilder builder)
    {
        var configured = builder.Configuration[$"{PortalOptions.Section}:DataDir"];
        var dataDir = string.IsNullOrWhiteSpace(configured) ? new PortalOptions().DataDir : configured;
        return Path.GetFullPath(dataDir, builder.Environment.ContentRootPath);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is up to date ({Applied} migrations applied now)")]
    private static partial void LogMigrated(ILogger logger, int applied);

    /// <summary>Applies pending migrations before the portal serves anything (hosted services start before Kestrel).</summary>
    private sealed class DatabaseMigrator(IDbContextFactory<PortalDbContext> factory, ILogger<DatabaseMigrator> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
            await db.Database.MigrateAsync(cancellationToken);
            LogMigrated(logger, pending);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
