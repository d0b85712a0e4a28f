using PatchPortal.Tests.Postgres;

namespace PatchPortal.Tests.Unit.Portal.Data;

/// <summary>
/// One throw-away PostgreSQL cluster for the tests of the "postgres" collection, on 127.0.0.120 (a loopback address
/// of the scale-out tests' own); each test creates a database of its own in it.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string Address = "127.0.0.120";

    public PostgresCluster Cluster { get; private set; } = default!;

    public async Task InitializeAsync() => Cluster = await PostgresCluster.StartAsync(Address, TimeSpan.FromSeconds(60));

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresTests : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
