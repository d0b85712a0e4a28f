using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Sqlite;
using PatchPortal.Portal.Operations;

namespace PatchPortal.Tests.Unit.Portal.Operations;

/// <summary>/readyz's database check against real SQLite files.</summary>
public sealed class DatabaseHealthCheckTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"readyz-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_file);
    }

    [Fact]
    public async Task Check_IsHealthy_WhenTheSchemaIsUpToDate()
    {
        var factory = new Factory(_file);
        await using (var db = factory.CreateDbContext())
        {
            await db.Database.MigrateAsync();
        }

        var result = await new DatabaseHealthCheck(factory).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
    }

    [Fact]
    public async Task Check_IsUnhealthy_WhenMigrationsArePending()
    {
        await File.WriteAllBytesAsync(_file, []);

        var result = await new DatabaseHealthCheck(new Factory(_file)).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("migration(s) not applied", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_IsUnhealthy_WhenTheDatabaseCannotBeOpened()
    {
        var result = await new DatabaseHealthCheck(new Factory("/nonexistent-dir/portal.db")).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
    }

    private sealed class Factory(string file) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() =>
            new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite($"Data Source={file}").Options);
    }
}
