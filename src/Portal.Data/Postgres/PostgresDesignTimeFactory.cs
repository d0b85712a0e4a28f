using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace PatchPortal.Portal.Data.Postgres;

/// <summary>Lets <c>dotnet ef migrations add</c> build the PostgreSQL context without a server (it never connects).</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresPortalDbContext>
{
    public PostgresPortalDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PostgresPortalDbContext>()
            .UseNpgsql("Host=127.0.0.1;Database=patchportal_design", PortalDatabase.ConfigurePostgres)
            .Options;
        return new PostgresPortalDbContext(options);
    }
}
