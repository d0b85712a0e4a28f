using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Groups;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Tests.Unit.Portal;

/// <summary>
/// The portal's real service registrations (data, identity, audit, users) over a SQLite file in a fresh temp
/// directory. Starting it runs the real start-up work: migrations, then the admin bootstrap.
/// </summary>
internal sealed class PortalTestHost : IAsyncDisposable
{
    private readonly string _dataDir;

    private PortalTestHost(IHost host, string dataDir)
    {
        Host = host;
        _dataDir = dataDir;
    }

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    public string DataDir => _dataDir;

    /// <summary>
    /// Starts the host; <paramref name="addFeatures"/> registers more real features, <paramref name="services"/> adds
    /// test doubles for seams a test does not exercise.
    /// </summary>
    public static async Task<PortalTestHost> StartAsync(
        IDictionary<string, string?>? settings = null, Action<HostApplicationBuilder>? addFeatures = null, Action<IServiceCollection>? services = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "patchportal-unit-" + Guid.NewGuid().ToString("N"));
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Portal:DataDir"] = dataDir });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        IHost? host = null;
        try
        {
            builder.AddPortalData();
            builder.AddPortalIdentity();
            builder.AddPortalAudit();
            builder.AddUserAdministration();
            builder.AddHosts();
            builder.AddGroups();
            addFeatures?.Invoke(builder);
            services?.Invoke(builder.Services);
            host = builder.Build();
            await host.StartAsync();
            return new PortalTestHost(host, dataDir);
        }
        catch
        {
            host?.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }

            throw;
        }
    }

    /// <summary>A service from a fresh scope (the catalogs are scoped, as they are per circuit in the portal).</summary>
    public T GetScoped<T>()
        where T : notnull => Services.CreateScope().ServiceProvider.GetRequiredService<T>();

    public PortalDbContext CreateDbContext() => Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext();

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDir, recursive: true);
    }
}
