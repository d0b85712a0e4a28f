using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Hosts;

/// <summary>The host list's filters; every one of them has a query-string name (see <see cref="HostListQuery"/>).</summary>
public sealed record HostFilter(
    string? Search = null,
    string? Group = null,
    string? Tag = null,
    string? Os = null,
    HostHealth? Health = null,
    bool SecurityUpdates = false,
    bool RebootRequired = false,
    bool Stale = false);

/// <summary>A sort of the host list: a column key (the <see cref="HostRow"/> property) and a direction.</summary>
public sealed record HostSort(string? By = null, bool Descending = false)
{
    public const string Name = nameof(HostRow.Name);
    public const string Address = nameof(HostRow.Address);
    public const string Os = nameof(HostRow.OsName);
    public const string Health = nameof(HostRow.Health);
    public const string LastSeen = nameof(HostRow.LastSeenAt);
    public const string Security = nameof(HostRow.PendingSecurity);
    public const string Other = nameof(HostRow.PendingOther);
    public const string Inventory = nameof(HostRow.InventoryRefreshedAt);
}

/// <summary>A host as the list shows it. Equal by id, so a grid keeps its selection when a page reloads.</summary>
public sealed record HostRow(
    Guid Id,
    string Name,
    string Address,
    int AgentPort,
    string? OsName,
    string? OsVersion,
    HostHealth Health,
    string? HealthReason,
    DateTimeOffset? LastSeenAt,
    bool RebootRequired,
    int PendingSecurity,
    int PendingOther,
    DateTimeOffset? InventoryRefreshedAt,
    IReadOnlyList<string> Groups,
    IReadOnlyList<string> Tags)
{
    public bool Equals(HostRow? other) => other is not null && other.Id == Id;

    public override int GetHashCode() => Id.GetHashCode();
}

public sealed record HostResultPage(IReadOnlyList<HostRow> Items, int Total);

/// <summary>Everything the host page shows about one host.</summary>
public sealed record HostDetail(
    Guid Id,
    string Name,
    string Address,
    int AgentPort,
    string? OsName,
    string? OsVersion,
    string? KernelVersion,
    string? Architecture,
    string? PackageFamily,
    string? CertificateFingerprint,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastSeenAt,
    HostHealth Health,
    string? HealthReason,
    bool RebootRequired,
    int PendingSecurity,
    int PendingOther,
    DateTimeOffset? InventoryRefreshedAt,
    IReadOnlyList<GroupOption> Groups,
    IReadOnlyList<string> Tags)
{
    public HostInput ToInput() => new(Name, Address, AgentPort, Groups.Select(g => g.Id).ToList(), Tags);
}

/// <summary>A group as pickers and filters offer it.</summary>
public sealed record GroupOption(Guid Id, string Name);

public sealed record PackageSort(string? By = null, bool Descending = false)
{
    public const string Name = nameof(InstalledPackage.Name);
    public const string Version = nameof(InstalledPackage.Version);
    public const string Architecture = nameof(InstalledPackage.Architecture);
}

public sealed record PackageResultPage(IReadOnlyList<InstalledPackage> Items, int Total);

public sealed record UpdateResultPage(IReadOnlyList<PendingUpdate> Items, int Total);

/// <summary>
/// The outcome of a change. Expected failures (validation, duplicates, a host that is gone) are results with a
/// message for the form (<see cref="Error"/>) and, where one field is at fault, for that field.
/// </summary>
public sealed record HostChangeResult(bool Succeeded, string? Error, IReadOnlyDictionary<string, string> FieldErrors)
{
    public Guid? HostId { get; init; }

    /// <summary>The enrolment token and command, shown once; null when enrolment is not available.</summary>
    public EnrollmentTicket? Ticket { get; init; }

    /// <summary>How many hosts a bulk change touched.</summary>
    public int Changed { get; init; }

    /// <summary>Why the change failed, for the API's status code.</summary>
    public ChangeStatus Status { get; init; }

    public static HostChangeResult Ok(Guid? hostId = null) => new(true, null, Empty) { HostId = hostId };

    public static HostChangeResult Fail(string error, ChangeStatus status = ChangeStatus.Conflict) => new(false, error, Empty) { Status = status };

    public static HostChangeResult NotFound() => Fail("The host no longer exists.", ChangeStatus.NotFound);

    public static HostChangeResult Invalid(IReadOnlyDictionary<string, string> fieldErrors)
    {
        ArgumentNullException.ThrowIfNull(fieldErrors);
        return new(false, string.Join(" ", fieldErrors.Values), fieldErrors) { Status = ChangeStatus.Invalid };
    }

    public static HostChangeResult Invalid(string field, string error) =>
        Invalid(new Dictionary<string, string>(StringComparer.Ordinal) { [field] = error });

    public static HostChangeResult Conflict(string field, string error) =>
        new(false, error, new Dictionary<string, string>(StringComparer.Ordinal) { [field] = error }) { Status = ChangeStatus.Conflict };

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>The state of a host recorded in the audit trail before and after a change.</summary>
public sealed record HostAuditState(string Name, string Address, int AgentPort, IReadOnlyList<string> Groups, IReadOnlyList<string> Tags)
{
    public static HostAuditState Of(ManagedHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return new(host.Name, host.Address, host.AgentPort,
            host.Groups.Select(g => g.Name).Order(StringComparer.Ordinal).ToList(),
            host.Tags.Select(t => t.Name).Order(StringComparer.Ordinal).ToList());
    }
}

/// <summary>What the bulk-assign dialog collects.</summary>
public sealed record BulkAssignment(IReadOnlyCollection<Guid> GroupIds, IReadOnlyCollection<string> Tags);
