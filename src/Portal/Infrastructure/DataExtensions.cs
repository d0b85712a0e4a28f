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
        var database = builder.Configuration.GetSection(PortalDatabaseOptions.Section).Get<PortalDatabaseOptions>()
            ?? new PortalDatabaseOptions();
        var connectionString = database.ConnectionString;
        Directory.CreateDirectory(dataDir);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = $"Data Source={Path.Combine(dataDir, "portal.db")}";
        }

        builder.Services.AddPortalDatabase(database.Provider, connectionString);
        // Keys for cookies and antiforgery live with the data, so sign-ins survive a restart.
        builder.Services.AddDataProtection()
            .SetApplicationName("PatchPortal")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "keys")));
        builder.Services.AddHostedService<DatabaseMigrator>();
        return builder;
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
