using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Postgres;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Tests.Unit.Portal.Data;

[Collection(PostgresTests.Name)]
public sealed class PortalDatabaseTests(PostgresFixture postgres)
{
    [Fact]
    public async Task StartAsync_MigratesPostgresAndRelaysEvents_WhenProviderIsPostgresql()
    {
        var connection = await postgres.Cluster.CreateDatabaseAsync("host");

        await using var host = await PortalTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Portal:Database:Provider"] = "PostgreSQL",
            ["Portal:Database:ConnectionString"] = connection,
        });

        await using var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        Assert.IsType<PostgresPortalDbContext>(db);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.True(await db.Users.AnyAsync(), "the first admin was not created");
        await host.Services.GetRequiredService<PostgresEventRelay>().Listening.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task StartAsync_FailsNamingTheKey_WhenPostgresqlHasNoConnectionString()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => PortalTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Portal:Database:Provider"] = "postgresql",
        }));

        Assert.Contains("Portal:Database:ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_Fails_WhenProviderIsUnknown()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => PortalTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Portal:Database:Provider"] = "oracle",
        }));

        Assert.Contains("oracle", error.Message, StringComparison.Ordinal);
    }
}
