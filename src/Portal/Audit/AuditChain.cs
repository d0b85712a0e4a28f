using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Audit;

/// <summary>One break in the audit chain, at the entry (chain index) where it shows.</summary>
public sealed record AuditChainProblem(long ChainIndex, long? EventId, string Problem);

/// <summary>What verifying the audit chain found.</summary>
public sealed record AuditChainReport(long Entries, long LegacyEntries, string? LastHash, long CheckpointsChecked, IReadOnlyList<AuditChainProblem> Problems)
{
    public bool Intact => Problems.Count == 0;
}

/// <summary>
/// The audit log's hash chain: each entry's SHA-256 covers its fields (including <c>Via</c> and <c>RequestId</c>)
/// and the previous entry's hash. <see cref="VerifyAsync"/> recomputes every hash and compares the chain's head
/// with the signed checkpoints written outside the database, so an edited, deleted, inserted or reordered row,
/// and a table truncated back to an earlier state, are all reported. Nothing here ever rewrites a row.
/// </summary>
public static class AuditChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string ComputeHash(AuditEvent entry, long chainIndex, string previousHash)
    {
        ArgumentNullException.ThrowIfNull(entry);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Add(hash, "patchportal-audit-v1");
        AddNumber(hash, chainIndex);
        Add(hash, previousHash);
        AddNumber(hash, entry.OccurredAt.UtcTicks);
        Add(hash, entry.Actor);
        Add(hash, entry.Action);
        Add(hash, entry.Target);
        AddNumber(hash, entry.Succeeded ? 1 : 0);
        Add(hash, entry.SourceAddress);
        Add(hash, entry.Via);
        Add(hash, entry.RequestId);
        Add(hash, entry.BeforeJson);
        Add(hash, entry.AfterJson);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Walks the whole chain in order and checks it against <paramref name="checkpoints"/> (when given).</summary>
    public static async Task<AuditChainReport> VerifyAsync(PortalDbContext db, IReadOnlyList<AuditCheckpoint>? checkpoints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var problems = new List<AuditChainProblem>();
        var legacy = await db.AuditEvents.LongCountAsync(e => e.ChainIndex == null, cancellationToken);
        var heads = new Dictionary<long, string>();
        var wanted = checkpoints?.Select(c => c.ChainIndex).ToHashSet() ?? [];
        long expected = 1;
        var previous = Genesis;
        long count = 0;
        long lastId = 0;
        await foreach (var entry in db.AuditEvents.AsNoTracking().Where(e => e.ChainIndex != null).OrderBy(e => e.ChainIndex).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            var index = entry.ChainIndex!.Value;
            count++;
            if (index != expected)
            {
                problems.Add(new(expected, null, index > expected ? $"entries {expected}..{index - 1} are missing (deleted)" : $"entry {index} appears twice"));
            }

            if (entry.PreviousHash != previous)
            {
                problems.Add(new(index, entry.Id, "does not follow the previous entry (its previous hash differs): an entry before it was changed, removed or inserted"));
            }

            if (entry.Hash != ComputeHash(entry, index, entry.PreviousHash ?? string.Empty))
            {
                problems.Add(new(index, entry.Id, "its content does not match its hash: the entry was edited"));
            }

            if (entry.Id < lastId)
            {
                problems.Add(new(index, entry.Id, "is out of order with the entry before it"));
            }

            if (wanted.Contains(index))
            {
                heads[index] = entry.Hash ?? string.Empty;
            }

            lastId = entry.Id;
            previous = entry.Hash ?? string.Empty;
            expected = index + 1;
        }

        var legacyAfterChain = await db.AuditEvents.AnyAsync(e => e.ChainIndex == null && e.Id > db.AuditEvents.Where(c => c.ChainIndex != null).Min(c => (long?)c.Id), cancellationToken);
        if (legacyAfterChain)
        {
            problems.Add(new(0, null, "entries without a hash were added after the chain began"));
        }

        foreach (var checkpoint in checkpoints ?? [])
        {
            if (!heads.TryGetValue(checkpoint.ChainIndex, out var hash))
            {
                problems.Add(new(checkpoint.ChainIndex, null, $"the checkpoint of {checkpoint.WrittenAt:u} names entry {checkpoint.ChainIndex}, which is no longer in the database (entries were removed)"));
            }
            else if (hash != checkpoint.Hash)
            {
                problems.Add(new(checkpoint.ChainIndex, null, $"the checkpoint of {checkpoint.WrittenAt:u} recorded another hash for entry {checkpoint.ChainIndex}: the chain was rewritten"));
            }
        }

        return new AuditChainReport(count, legacy, count == 0 ? null : previous, checkpoints?.Count ?? 0, problems);
    }

    private static void Add(IncrementalHash hash, string? value)
    {
        if (value is null)
        {
            AddNumber(hash, -1);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        AddNumber(hash, bytes.Length);
        hash.AppendData(bytes);
    }

    private static void AddNumber(IncrementalHash hash, long value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(buffer, value);
        hash.AppendData(buffer);
    }
}
