using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace PatchPortal.Portal.Data.Sqlite;

/// <summary>Lets <c>dotnet ef migrations add</c> build the SQLite context without starting the portal.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqlitePortalDbContext>
{
    public SqlitePortalDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SqlitePortalDbContext>()
            .UseSqlite("Data Source=design-time.db", PortalDatabase.ConfigureSqlite)
            .Options;
        return new SqlitePortalDbContext(options);
    }
}
