using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Data;

namespace PatchPortal.Tests.Unit.Portal.Data;

/// <summary>
/// A fresh, migrated portal database on either provider through the portal's own registration
/// (<see cref="PortalDatabase.AddPortalDatabase"/>): a SQLite file in a temp directory, or a new database in the
/// test cluster. The data-layer tests run the same test on both.
/// </summary>
internal sealed class ProviderDatabase : IDbContextFactory<PortalDbContext>, IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IDbContextFactory<PortalDbContext> _factory;
    private readonly string? _directory;

    private ProviderDatabase(string provider, string connectionString, string? directory)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _directory = directory;
        _services = new ServiceCollection().AddPortalDatabase(provider, connectionString).BuildServiceProvider();
        _factory = _services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
    }

    public string Provider { get; }

    public string ConnectionString { get; }

    public static async Task<ProviderDatabase> CreateAsync(string provider, PostgresFixture postgres, bool migrate = true)
    {
        ProviderDatabase database;
        if (PortalDatabase.IsPostgres(provider))
        {
            database = new ProviderDatabase(provider, await postgres.Cluster.CreateDatabaseAsync(), null);
        }
        else
        {
            var directory = Directory.CreateTempSubdirectory("patchportal-data-").FullName;
            database = new ProviderDatabase(provider, $"Data Source={Path.Combine(directory, "portal.db")}", directory);
        }

        if (migrate)
        {
            await using var db = database.CreateDbContext();
            await db.Database.MigrateAsync();
        }

        return database;
    }

    /// <summary>An existing database (nothing is created, migrated or deleted).</summary>
    public static ProviderDatabase Open(string provider, string connectionString) => new(provider, connectionString, null);

    public PortalDbContext CreateDbContext() => _factory.CreateDbContext();

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        if (_directory is not null)
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
