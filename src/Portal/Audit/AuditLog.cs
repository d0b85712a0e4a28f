using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Audit;

/// <summary>Well-known audit actions.</summary>
public static class AuditActions
{
    public const string SignInSucceeded = "auth.sign-in";
    public const string SignInFailed = "auth.sign-in-failed";
    public const string SignInLockedOut = "auth.locked-out";
    public const string SignedOut = "auth.sign-out";
    public const string UserCreated = "user.create";
    public const string UserRoleChanged = "user.role-change";
    public const string UserLocked = "user.lock";
    public const string UserUnlocked = "user.unlock";
    public const string UserPasswordReset = "user.password-reset";
    public const string HostAdded = "host.add";
    public const string HostEdited = "host.edit";
    public const string HostRemoved = "host.remove";
    public const string HostsAssigned = "host.assign";
    public const string GroupCreated = "group.create";
    public const string GroupEdited = "group.edit";
    public const string GroupDeleted = "group.delete";
    public const string WindowCreated = "window.create";
    public const string WindowEdited = "window.edit";
    public const string WindowDeleted = "window.delete";
    public const string BlackoutCreated = "blackout.create";
    public const string BlackoutEdited = "blackout.edit";
    public const string BlackoutDeleted = "blackout.delete";
    public const string CalendarFeedTokenIssued = "calendar.feed-token";
    public const string PlanCreated = "plan.create";
    public const string PlanEdited = "plan.edit";
    public const string PlanDryRun = "plan.dry-run";
    public const string PlanSubmitted = "plan.submit";
    public const string PlanApproved = "plan.approve";
    public const string PlanRejected = "plan.reject";
    public const string PlanCancelled = "plan.cancel";
    public const string PlanExpired = "plan.expire";
    public const string PlanScheduled = "plan.schedule";
    public const string PlanActionRefused = "plan.refused";
    public const string RunStarted = "run.start";
    public const string RunFinished = "run.finish";
    public const string RunPaused = "run.pause";
    public const string RunResumed = "run.resume";
    public const string RunCancelled = "run.cancel";
    public const string RunHostsRetried = "run.retry";
    public const string RunHostRolledBack = "run.rollback";
    public const string ApiTokenCreated = "api-token.create";
    public const string ApiTokenRevoked = "api-token.revoke";
    public const string ApiAccessRefused = "api.refused";

    public static IReadOnlyList<string> All { get; } =
    [
        SignInSucceeded, SignInFailed, SignInLockedOut, SignedOut,
        UserCreated, UserRoleChanged, UserLocked, UserUnlocked, UserPasswordReset,
        HostAdded, HostEdited, HostRemoved, HostsAssigned, GroupCreated, GroupEdited, GroupDeleted,
        WindowCreated, WindowEdited, WindowDeleted, BlackoutCreated, BlackoutEdited, BlackoutDeleted, CalendarFeedTokenIssued,
        PlanCreated, PlanEdited, PlanDryRun, PlanSubmitted, PlanApproved, PlanRejected, PlanCancelled, PlanExpired,
        PlanScheduled, PlanActionRefused,
        RunStarted, RunFinished, RunPaused, RunResumed, RunCancelled, RunHostsRetried, RunHostRolledBack,
        ApiTokenCreated, ApiTokenRevoked, ApiAccessRefused,
    ];
}

/// <summary>
/// Who is making a change and from where; recorded with every change. <see cref="Via"/> names the channel when it
/// is not the UI (an API token), and <see cref="RequestId"/> ties the change to the request's log lines.
/// </summary>
public sealed record Actor(string Name, string? SourceAddress)
{
    public string? Via { get; init; }
    public string? RequestId { get; init; }
}

/// <summary>What to record: the action, who did it and to what; before/after are serialised to JSON.</summary>
public sealed record AuditEntry(string Action, string Actor, string? Target)
{
    public bool Succeeded { get; init; } = true;
    public string? SourceAddress { get; init; }
    public string? Via { get; init; }
    public string? RequestId { get; init; }
    public object? Before { get; init; }
    public object? After { get; init; }

    /// <summary>An entry for a change made by <paramref name="actor"/>, carrying its address, channel and request id.</summary>
    public static AuditEntry By(Actor actor, string action, string? target)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return new(action, actor.Name, target) { SourceAddress = actor.SourceAddress, Via = actor.Via, RequestId = actor.RequestId };
    }
}

/// <summary>
/// The one way to write the audit trail. It only appends, each entry chained by hash to the one before
/// (<see cref="AuditChain"/>): there is deliberately no update or delete, and the DbContext refuses such changes to
/// audit rows from anywhere else.
/// </summary>
public sealed class AuditLog(IDbContextFactory<PortalDbContext> factory, TimeProvider time) : IDisposable
{
    private const int Attempts = 8;

    // Only a lost race for the next chain index is retried; a locked or broken database is not.
    private static bool IsUniqueViolation(DbUpdateException ex) => ex.InnerException switch
    {
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        System.Data.Common.DbException other => other.SqlState == "23505", // PostgreSQL unique_violation
        _ => false,
    };
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // One writer at a time in this process; across processes the unique chain index makes a racing writer retry.
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Appends an entry on its own (nothing else to save with it).</summary>
    public async Task<long> RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await SaveWithAsync(db, [entry], cancellationToken);
    }

    /// <summary>
    /// Saves the caller's pending changes in <paramref name="db"/> together with the entry that records them, in one
    /// transaction: a full disk or a broken database leaves neither, never a change without its audit entry (as
    /// saving first and then calling <see cref="RecordAsync"/> would). Like <see cref="RecordAsync"/> it tries again
    /// only when another writer took the next chain index; any other failure is thrown with the caller's changes still
    /// pending in <paramref name="db"/> and the entry gone from it.
    /// </summary>
    public async Task<long> SaveWithAsync(PortalDbContext db, AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return await SaveWithAsync(db, [entry], cancellationToken);
    }

    /// <summary>
    /// As <see cref="SaveWithAsync(PortalDbContext, AuditEntry, CancellationToken)"/>, for a change that records
    /// several entries (one per host of a bulk edit): they take consecutive chain indexes in the same transaction.
    /// Returns the last entry's id, or 0 when <paramref name="entries"/> is empty (then it only saves the changes).
    /// </summary>
    public async Task<long> SaveWithAsync(PortalDbContext db, IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            return 0;
        }

        var occurredAt = time.GetUtcNow();
        // A caller inside its own transaction may already hold the database's write lock (SQLite): waiting here for
        // a writer that waits for that lock would stall both, so it goes ungated and the unique chain index decides
        // (EF Core saves inside a savepoint then, so a lost race can be retried in the same transaction).
        var gated = db.Database.CurrentTransaction is null;
        for (var attempt = 1; ; attempt++)
        {
            if (gated)
            {
                await _gate.WaitAsync(cancellationToken);
            }

            List<AuditEvent> added = [];
            try
            {
                var head = await HeadAsync(db, cancellationToken);
                foreach (var entry in entries)
                {
                    head = Chained(entry, occurredAt, head);
                    added.Add(head.Event!);
                }

                db.AuditEvents.AddRange(added);
                await db.SaveChangesAsync(cancellationToken);
                return added[^1].Id;
            }
            catch (DbUpdateException ex) when (added.Count > 0)
            {
                Detach(db, added);
                var index = added[0].ChainIndex!.Value;
                if (attempt >= Attempts || !IsUniqueViolation(ex)
                    || !await db.AuditEvents.AnyAsync(e => e.ChainIndex >= index, cancellationToken))
                {
                    throw; // not a lost race for the chain index: the caller's own constraint, a full disk, a lock
                }
            }
            catch when (added.Count > 0)
            {
                Detach(db, added);
                throw;
            }
            finally
            {
                if (gated)
                {
                    _gate.Release();
                }
            }

            await BackOffAsync(attempt, cancellationToken);
        }
    }

    // Real time, not the injected clock: a back-off of milliseconds between two writers is not domain time, and a
    // clock that only moves when a test moves it would hold the loser forever.
    private static Task BackOffAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 25 * attempt)), cancellationToken);

    private static void Detach(PortalDbContext db, List<AuditEvent> added)
    {
        foreach (var audit in added)
        {
            db.Entry(audit).State = EntityState.Detached;
        }
    }

    /// <summary>The last link of the chain: its index and hash (0 and the genesis hash for an empty chain).</summary>
    private readonly record struct Link(long Index, string Hash, AuditEvent? Event = null);

    private static async Task<Link> HeadAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        var head = await db.AuditEvents.Where(e => e.ChainIndex != null).OrderByDescending(e => e.ChainIndex)
            .Select(e => new { e.ChainIndex, e.Hash }).FirstOrDefaultAsync(cancellationToken);
        return head is null ? new Link(0, AuditChain.Genesis) : new Link(head.ChainIndex!.Value, head.Hash!);
    }

    /// <summary>The entry as the link after <paramref name="previous"/>.</summary>
    private static Link Chained(AuditEntry entry, DateTimeOffset occurredAt, Link previous)
    {
        var index = previous.Index + 1;
        var fields = new AuditEvent
        {
            OccurredAt = occurredAt,
            Action = entry.Action,
            Actor = Truncate(entry.Actor, 256),
            Target = entry.Target is null ? null : Truncate(entry.Target, 500),
            Succeeded = entry.Succeeded,
            SourceAddress = entry.SourceAddress is null ? null : Truncate(entry.SourceAddress, 64),
            Via = entry.Via is null ? null : Truncate(entry.Via, 128),
            RequestId = entry.RequestId is null ? null : Truncate(entry.RequestId, 64),
            BeforeJson = entry.Before is null ? null : JsonSerializer.Serialize(entry.Before, Json),
            AfterJson = entry.After is null ? null : JsonSerializer.Serialize(entry.After, Json),
        };
        var audit = new AuditEvent
        {
            OccurredAt = fields.OccurredAt,
            Action = fields.Action,
            Actor = fields.Actor,
            Target = fields.Target,
            Succeeded = fields.Succeeded,
            SourceAddress = fields.SourceAddress,
            Via = fields.Via,
            RequestId = fields.RequestId,
            BeforeJson = fields.BeforeJson,
            AfterJson = fields.AfterJson,
            ChainIndex = index,
            PreviousHash = previous.Hash,
            Hash = AuditChain.ComputeHash(fields, index, previous.Hash),
        };
        return new Link(index, audit.Hash!, audit);
    }

    public void Dispose() => _gate.Dispose();

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}
