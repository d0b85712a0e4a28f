namespace PatchPortal.Agent.Contracts;

public sealed record PackageDto
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required string Status { get; init; }
    public string? Description { get; init; }
    public long? SizeBytes { get; init; }
    public DateTimeOffset? InstalledAt { get; init; }
    public bool Upgradable { get; init; }
    public string? AvailableVersion { get; init; }
    public IReadOnlyList<string> Dependencies { get; init; } = [];
    public string? Maintainer { get; init; }
    public string? Architecture { get; init; }
}

public sealed record PackageDetailDto
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required string Status { get; init; }
    public string? Description { get; init; }
    public long? SizeBytes { get; init; }
    public DateTimeOffset? InstalledAt { get; init; }
    public bool Upgradable { get; init; }
    public string? AvailableVersion { get; init; }
    public IReadOnlyList<string> Dependencies { get; init; } = [];
    public IReadOnlyList<string> ReverseDependencies { get; init; } = [];
    public string? Maintainer { get; init; }
    public string? Architecture { get; init; }
    public string? Homepage { get; init; }
    public string? License { get; init; }
    public IReadOnlyList<string> Files { get; init; } = [];
}

public sealed record PackageListResponse(IReadOnlyList<PackageDto> Packages, int Total, int Limit, int Offset);

public sealed record PackageSpec
{
    public string? Name { get; init; }
    public string? Version { get; init; }
}

public sealed record PackageOptions
{
    public bool Force { get; init; }
    public bool NoRecommends { get; init; }
    public bool AllowDowngrade { get; init; }
}

public sealed record InstallRequest
{
    public IReadOnlyList<PackageSpec>? Packages { get; init; }
    public PackageOptions? Options { get; init; }
}

public sealed record UpdateRequest
{
    public string? Version { get; init; }
    public PackageOptions? Options { get; init; }
}
