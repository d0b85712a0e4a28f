namespace PatchPortal.Portal.Data.Entities;

/// <summary>
/// One recorded action: who did what to which target, when, from where, with the state before and after as JSON.
/// Append-only: every property is init-only and <see cref="PortalDbContext"/> refuses to update or delete rows.
/// </summary>
public class AuditEvent
{
    public long Id { get; init; }
    public DateTimeOffset OccurredAt { get; init; }

    /// <summary>The user name (or "system", or the name typed at a failed sign-in).</summary>
    public required string Actor { get; init; }

    public required string Action { get; init; }
    public string? Target { get; init; }
    public bool Succeeded { get; init; } = true;
    public string? SourceAddress { get; init; }
    public string? BeforeJson { get; init; }
    public string? AfterJson { get; init; }

    /// <summary>How the actor acted when not through the UI, for example <c>api-token:nightly-ci</c>.</summary>
    public string? Via { get; init; }

    /// <summary>The request id (also sent to agents as X-Request-Id) that lets one change be followed in the logs.</summary>
    public string? RequestId { get; init; }

    /// <summary>Position in the hash chain (1, 2, 3, ...; unique, so two writers cannot fork it); null on rows older than the chain.</summary>
    public long? ChainIndex { get; init; }

    /// <summary>SHA-256 (hex) of the previous chained entry, all zeros for the first.</summary>
    public string? PreviousHash { get; init; }

    /// <summary>SHA-256 (hex) over this entry's fields and <see cref="PreviousHash"/>: editing, deleting or reordering a row breaks the chain.</summary>
    public string? Hash { get; init; }
}
