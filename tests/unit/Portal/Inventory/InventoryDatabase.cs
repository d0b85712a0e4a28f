using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Data.Sqlite;

namespace PatchPortal.Tests.Unit.Portal.Inventory;

/// <summary>
/// A migrated portal database in a SQLite file under a fresh temp directory, with the SQL it ran recorded, and the
/// directory for Hangfire's own file beside it.
/// </summary>
internal sealed class InventoryDatabase : IDbContextFactory<PortalDbContext>, IDisposable
{
    private readonly string _connectionString;
    private readonly List<string> _sql = [];

    public InventoryDatabase()
    {
        Directory = Path.Combine(Path.GetTempPath(), "patchportal-inventory-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        _connectionString = $"Data Source={Path.Combine(Directory, "portal.db")}";
        using var db = CreateDbContext();
        db.Database.Migrate();
    }

    public string Directory { get; }

    /// <summary>Interceptors every context from this factory gets (faults a test injects).</summary>
    public List<IInterceptor> Interceptors { get; } = [];

    /// <summary>Every SQL command executed through this factory's contexts, in order.</summary>
    public IReadOnlyList<string> Sql
    {
        get
        {
            lock (_sql)
            {
                return [.. _sql];
            }
        }
    }

    /// <summary>How many SQL commands ran so far (a cheap sign of activity).</summary>
    public int SqlCount
    {
        get
        {
            lock (_sql)
            {
                return _sql.Count;
            }
        }
    }

    public void ClearSql()
    {
        lock (_sql)
        {
            _sql.Clear();
        }
    }

    public PortalDbContext CreateDbContext()
    {
        var options = new DbContextOptionsBuilder<SqlitePortalDbContext>()
            .UseSqlite(_connectionString)
            .LogTo(Record, [RelationalEventId.CommandExecuted])
            .AddInterceptors(Interceptors)
            .Options;
        return new SqlitePortalDbContext(options);
    }

    public async Task<ManagedHost> AddHostAsync(string name, bool enrolled = true, Action<ManagedHost>? configure = null)
    {
        var host = new ManagedHost
        {
            Name = name,
            Address = $"10.0.0.{Math.Abs(name.GetHashCode(StringComparison.Ordinal)) % 250 + 1}-{name}",
            AgentCertificateFingerprint = enrolled ? "sha256:" + Convert.ToHexString(Guid.NewGuid().ToByteArray()) : null,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        configure?.Invoke(host);
        await using var db = CreateDbContext();
        db.Hosts.Add(host);
        await db.SaveChangesAsync();
        return host;
    }

    public async Task<ManagedHost> GetHostAsync(Guid id)
    {
        await using var db = CreateDbContext();
        return await db.Hosts.AsNoTracking().SingleAsync(h => h.Id == id);
    }

    private void Record(string message)
    {
        lock (_sql)
        {
            _sql.Add(message);
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
