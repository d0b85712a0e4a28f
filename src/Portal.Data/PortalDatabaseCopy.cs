using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace PatchPortal.Portal.Data;

/// <summary>How many rows one table received.</summary>
public sealed record CopiedTable(string Table, int Rows);

/// <summary>
/// Copies every row of one portal database into another of the same model, typically a SQLite portal into a new
/// PostgreSQL database when it scales out. The target is migrated first and must be empty; tables go in foreign-key
/// order, through EF Core on both sides so each provider's conversions apply (SQLite's tick columns become
/// timestamptz); identity sequences continue after the copied ids. Claims and Hangfire job ids of runs are not copied:
/// they name processes and jobs of the old storage, and the new portal's watchdog gives due runs new jobs.
/// </summary>
public static class PortalDatabaseCopy
{
    private const int Batch = 500;

    private static readonly MethodInfo CopyTableMethod =
        typeof(PortalDatabaseCopy).GetMethod(nameof(CopyTableAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static async Task<IReadOnlyList<CopiedTable>> CopyAsync(PortalDbContext source, PortalDbContext target, Action<CopiedTable>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var pending = (await source.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            throw new InvalidOperationException(
                $"The source database lacks {pending.Count} migration(s) ({pending[^1]}): start the current portal on it once (it applies them), stop it, then copy.");
        }

        await target.Database.MigrateAsync(cancellationToken);
        var tables = Order(target.Model);
        foreach (var entity in tables)
        {
            if (await HasRowsAsync(target, entity, cancellationToken))
            {
                throw new InvalidOperationException($"The target database is not empty (table {entity.GetTableName()} has rows): copy into a new, empty database.");
            }
        }

        var copied = new List<CopiedTable>();
        foreach (var entity in tables)
        {
            var task = (Task<int>)CopyTableMethod.MakeGenericMethod(entity.ClrType).Invoke(null, [source, target, entity, cancellationToken])!;
            var table = new CopiedTable(entity.GetTableName() ?? entity.Name, await task);
            copied.Add(table);
            progress?.Invoke(table);
        }

        // Runs' claims and Hangfire job ids belong to the old storage's processes and jobs.
        await target.PatchRuns.ExecuteUpdateAsync(s => s
            .SetProperty(r => r.HangfireJobId, (string?)null)
            .SetProperty(r => r.LeaseOwner, (string?)null)
            .SetProperty(r => r.LeaseExpiresAt, (DateTimeOffset?)null), cancellationToken);
        if (target.Database.IsNpgsql())
        {
            await ContinueSequencesAsync(target, tables, cancellationToken);
        }

        return copied;
    }

    /// <summary>Every table's entity type, principals before dependents (a table's rows need the rows they point to).</summary>
    internal static List<IEntityType> Order(IModel model)
    {
        var remaining = model.GetEntityTypes().Where(e => !e.IsOwned() && e.GetTableName() is not null && e.BaseType is null).ToList();
        var ordered = new List<IEntityType>();
        while (remaining.Count > 0)
        {
            var ready = remaining.Where(e => e.GetForeignKeys()
                    .Select(fk => Root(fk.PrincipalEntityType))
                    .All(p => p == e || ordered.Contains(p)))
                .OrderBy(e => e.GetTableName(), StringComparer.Ordinal)
                .ToList();
            if (ready.Count == 0)
            {
                throw new InvalidOperationException("The model's foreign keys form a cycle: " + string.Join(", ", remaining.Select(e => e.GetTableName())));
            }

            ordered.AddRange(ready);
            remaining.RemoveAll(ready.Contains);
        }

        return ordered;
    }

    private static IEntityType Root(IEntityType entity)
    {
        while (entity.IsOwned() && entity.FindOwnership() is { } ownership)
        {
            entity = ownership.PrincipalEntityType;
        }

        return entity.GetRootType();
    }

    private static Task<bool> HasRowsAsync(PortalDbContext db, IEntityType entity, CancellationToken cancellationToken) =>
        (Task<bool>)typeof(PortalDatabaseCopy).GetMethod(nameof(AnyAsync), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(entity.ClrType).Invoke(null, [db, entity, cancellationToken])!;

    private static Task<bool> AnyAsync<T>(PortalDbContext db, IEntityType entity, CancellationToken cancellationToken)
        where T : class => Set<T>(db, entity).AnyAsync(cancellationToken);

    private static DbSet<T> Set<T>(PortalDbContext db, IEntityType entity)
        where T : class => entity.HasSharedClrType ? db.Set<T>(entity.Name) : db.Set<T>();

    private static async Task<int> CopyTableAsync<T>(PortalDbContext source, PortalDbContext target, IEntityType entity, CancellationToken cancellationToken)
        where T : class
    {
        var rows = 0;
        var into = Set<T>(target, entity);
        await foreach (var row in Set<T>(source, entity).AsNoTracking().AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            into.Add(row);
            if (++rows % Batch == 0)
            {
                await target.SaveChangesAsync(cancellationToken);
                target.ChangeTracker.Clear();
            }
        }

        await target.SaveChangesAsync(cancellationToken);
        target.ChangeTracker.Clear();
        return rows;
    }

    /// <summary>Moves each identity column's sequence past the highest copied id, so new rows get fresh ids.</summary>
    private static async Task ContinueSequencesAsync(PortalDbContext target, IEnumerable<IEntityType> tables, CancellationToken cancellationToken)
    {
        foreach (var entity in tables)
        {
            var table = entity.GetTableName()!;
            var store = StoreObjectIdentifier.Table(table, entity.GetSchema());
            foreach (var key in entity.FindPrimaryKey()!.Properties
                .Where(p => p.ValueGenerated == ValueGenerated.OnAdd && (p.ClrType == typeof(long) || p.ClrType == typeof(int))))
            {
                var column = key.GetColumnName(store)!;
#pragma warning disable EF1002 // Table and column names come from the model, not from input.
                await target.Database.ExecuteSqlRawAsync(
                    $"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), COALESCE((SELECT MAX(\"{column}\") FROM \"{table}\"), 0) + 1, false)",
                    cancellationToken);
#pragma warning restore EF1002
            }
        }
    }
}
