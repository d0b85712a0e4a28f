using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PatchPortal.Tests.Unit.Portal.Data;

/// <summary>
/// Refuses, while armed, the SQL commands <paramref name="matches"/> picks, with SQLite's own disk-full error (SQLITE_FULL,
/// as a disk filling at that moment answers): a fault placed on one statement, where a full disk would hit whichever
/// write needed a new page. <paramref name="times"/> limits how many it refuses before disarming itself.
/// </summary>
internal sealed class SqliteCommandFault(Func<string, bool> matches, int times = int.MaxValue) : DbCommandInterceptor
{
    private int _remaining = times;
    private int _refused;

    public volatile bool Armed;

    public int Refused => Volatile.Read(ref _refused);

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Check(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Check(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    private void Check(DbCommand command)
    {
        if (Armed && matches(command.CommandText) && Interlocked.Decrement(ref _remaining) >= 0)
        {
            Interlocked.Increment(ref _refused);
            if (Volatile.Read(ref _remaining) <= 0)
            {
                Armed = false;
            }

            throw new SqliteException("SQLite Error 13: 'database or disk is full'.", 13);
        }
    }
}
