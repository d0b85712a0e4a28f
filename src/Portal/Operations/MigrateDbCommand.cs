using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Data;

namespace PatchPortal.Portal.Operations;

/// <summary>
/// <c>patch-portal migrate-db --from /var/lib/patch-portal/portal.db --to postgresql --connection "Host=...;..."</c>:
/// copies a (stopped) SQLite portal's database into a new PostgreSQL database, which the portal nodes then use with
/// Portal:Database:Provider=postgresql. Exit codes: 0 copied, 2 bad arguments, 1 the copy failed (nothing is half
/// done that a second run into a fresh database would not redo).
/// </summary>
internal static class MigrateDbCommand
{
    public const string Name = "migrate-db";

    public const string Usage =
        "usage: patch-portal migrate-db --from <portal.db> --to postgresql --connection <connection string>\n" +
        "  Copies a stopped SQLite portal into a new, empty PostgreSQL database (migrated first). Then set\n" +
        "  Portal:Database:Provider=postgresql and Portal:Database:ConnectionString on every node and start them.";

    public static bool IsInvoked(string[] args) => args is [Name, ..];

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (Parse(args.Skip(1).ToList()) is not { } request)
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        if (request.Problem is not null)
        {
            await error.WriteLineAsync(request.Problem);
            await error.WriteLineAsync(Usage);
            return 2;
        }

        var from = new SqliteConnectionStringBuilder { DataSource = request.From, Mode = SqliteOpenMode.ReadWrite }.ToString();
        await using var sourceServices = new ServiceCollection().AddPortalDatabase(PortalDatabase.Sqlite, from).BuildServiceProvider();
        await using var targetServices = new ServiceCollection().AddPortalDatabase(PortalDatabase.Postgres, request.Connection).BuildServiceProvider();
        try
        {
            await using var source = await sourceServices.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
            await using var target = await targetServices.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
            await output.WriteLineAsync($"Copying {request.From} into PostgreSQL ({target.Database.GetDbConnection().Database})...");
            var tables = await PortalDatabaseCopy.CopyAsync(source, target,
                t => output.WriteLine($"  {t.Table,-28} {t.Rows,9} rows"), cancellationToken);
            await output.WriteLineAsync($"Done: {tables.Sum(t => t.Rows)} rows in {tables.Count} tables. Hangfire's jobs are not copied: "
                + "recurring jobs are registered at start and due runs get new jobs from the watchdog.");
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or DbUpdateException or Npgsql.NpgsqlException or SqliteException)
        {
            await error.WriteLineAsync("migrate-db failed: " + e.GetBaseException().Message);
            return 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    private static Request? Parse(List<string> words)
    {
        string? from = null, to = null, connection = null;
        for (var i = 0; i < words.Count; i++)
        {
            if (i + 1 >= words.Count)
            {
                return new Request("", "", $"{words[i]} needs a value.");
            }

            switch (words[i])
            {
                case "--from":
                    from = words[++i];
                    break;
                case "--to":
                    to = words[++i];
                    break;
                case "--connection":
                    connection = words[++i];
                    break;
                default:
                    return new Request("", "", $"Unknown argument '{words[i]}'.");
            }
        }

        if (from is null || to is null || connection is null)
        {
            return null;
        }

        if (!PortalDatabase.IsPostgres(to))
        {
            return new Request(from, connection, $"--to must be '{PortalDatabase.Postgres}' (the only target).");
        }

        return File.Exists(from)
            ? new Request(Path.GetFullPath(from), connection, null)
            : new Request(from, connection, $"--from names {Path.GetFullPath(from)}, which does not exist.");
    }

    private sealed record Request(string From, string Connection, string? Problem);
}
