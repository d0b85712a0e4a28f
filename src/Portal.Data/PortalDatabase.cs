using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;
using PatchPortal.Portal.Data.Postgres;
using PatchPortal.Portal.Data.Sqlite;

namespace PatchPortal.Portal.Data;

/// <summary>
/// Registers the portal's database for the configured provider: SQLite (one node, the default) or PostgreSQL
/// (several nodes on one database), each with its own <see cref="PortalDbContext"/> subclass and migration set.
/// </summary>
public static class PortalDatabase
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgresql";

    /// <summary>Whether <paramref name="provider"/> names PostgreSQL (case-insensitive).</summary>
    public static bool IsPostgres(string? provider) => string.Equals(provider, Postgres, StringComparison.OrdinalIgnoreCase);

    /// <summary>Registers <see cref="IDbContextFactory{PortalDbContext}"/> and a scoped <see cref="PortalDbContext"/>.</summary>
    public static IServiceCollection AddPortalDatabase(this IServiceCollection services, string provider, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        switch (provider.ToLowerInvariant())
        {
            case Sqlite:
                services.AddDbContextFactory<SqlitePortalDbContext>(o => o.UseSqlite(connectionString, ConfigureSqlite));
                services.AddSingleton<IDbContextFactory<PortalDbContext>>(sp =>
                    new ProviderContextFactory<SqlitePortalDbContext>(sp.GetRequiredService<IDbContextFactory<SqlitePortalDbContext>>()));
                break;
            case Postgres:
                services.AddDbContextFactory<PostgresPortalDbContext>(o => o.UseNpgsql(connectionString, ConfigurePostgres));
                services.AddSingleton<IDbContextFactory<PortalDbContext>>(sp =>
                    new ProviderContextFactory<PostgresPortalDbContext>(sp.GetRequiredService<IDbContextFactory<PostgresPortalDbContext>>()));
                break;
            default:
                throw new NotSupportedException($"Database provider '{provider}' is not supported; use '{Sqlite}' or '{Postgres}'.");
        }

        // Identity's stores take a context per scope; components use the factory instead.
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext());
        return services;
    }

    internal static void ConfigureSqlite(SqliteDbContextOptionsBuilder sqlite) =>
        sqlite.MigrationsAssembly(typeof(PortalDbContext).Assembly.GetName().Name)
            .MigrationsHistoryTable("__EFMigrationsHistory");

    internal static void ConfigurePostgres(NpgsqlDbContextOptionsBuilder npgsql) =>
        npgsql.MigrationsAssembly(typeof(PortalDbContext).Assembly.GetName().Name)
            .MigrationsHistoryTable("__EFMigrationsHistory");

    private sealed class ProviderContextFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<PortalDbContext>
        where TContext : PortalDbContext
    {
        public PortalDbContext CreateDbContext() => inner.CreateDbContext();
    }
}
