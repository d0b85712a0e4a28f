namespace PatchPortal.Agent.Contracts;

public sealed record PatchDto
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Severity { get; init; }
    public required string Status { get; init; }
    public DateTimeOffset? PublishedDate { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<string> CveIds { get; init; } = [];
    public IReadOnlyList<string> AffectedPackages { get; init; } = [];
    public bool RequiresReboot { get; init; }

    // ext
    public bool Security { get; init; }
    public string? CurrentVersion { get; init; }
    public string? CandidateVersion { get; init; }
    public string? Source { get; init; }
}

public sealed record PatchListResponse(IReadOnlyList<PatchDto> Patches, int Total, int Limit, int Offset);

public sealed record PatchApplyOptions
{
    public bool? Reboot { get; init; }
    public int? RebootDelayMinutes { get; init; }
    public IReadOnlyList<string>? ExcludePackages { get; init; }
    public bool SecurityOnly { get; init; }
    public bool DryRun { get; init; }
}

/// <summary>Both body forms in use: the documented one (patches + options) and the deployed one (packages + allow_reboot).</summary>
public sealed record PatchApplyRequest
{
    public IReadOnlyList<string>? Patches { get; init; }
    public PatchApplyOptions? Options { get; init; }
    public IReadOnlyList<string>? Packages { get; init; }
    public bool? AllowReboot { get; init; }
    public bool? Reboot { get; init; }
    public int? RebootDelaySeconds { get; init; }
}

public sealed record PlannedChange(string Package, string? From, string? To);

public sealed record DryRunManifest(IReadOnlyList<PlannedChange> Changes, bool RequiresReboot);
