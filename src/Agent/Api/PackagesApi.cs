using Microsoft.AspNetCore.Mvc;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;
using PatchPortal.Agent.Json;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Agent.Api;

public static class PackagesApi
{
    public const int MaxPackagesPerRequest = 200;

    private static readonly string[] Statuses = ["installed", "upgradable", "all"];
    private static readonly string[] Sorts = ["name", "version", "size"];

    public static IEndpointRouteBuilder MapPackagesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/packages").WithTags("Packages");
        group.MapGet("/", ListAsync).WithName("ListPackages").WithSummary("Installed packages")
            .Answers<PackageListResponse>().Refuses(StatusCodes.Status400BadRequest)
            .WithQueryValues("status", Statuses).WithQueryValues("sort", Sorts).WithQueryDescription("name", "package name; * matches any characters");
        group.MapGet("/{name}", GetAsync).WithName("GetPackage").WithSummary("One installed package with dependencies, reverse dependencies, homepage, license and files")
            .Answers<PackageDetailDto>().Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        group.MapPost("/", Install).WithName("InstallPackages").WithSummary("Install packages (a job)")
            .Answers<JobAccepted>(StatusCodes.Status202Accepted).Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge);
        group.MapPut("/{name}", UpdateAsync).WithName("UpdatePackage").WithSummary("Update one package (a job)")
            .Answers<JobAccepted>(StatusCodes.Status202Accepted).Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge);
        group.MapDelete("/{name}", RemoveAsync).WithName("RemovePackage").WithSummary("Remove one package (a job)")
            .Answers<JobAccepted>(StatusCodes.Status202Accepted).Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithQueryDescription("purge", "also remove configuration files").WithQueryDescription("force", "remove even when other packages depend on it");
        return app;
    }

    /// <summary>The list's query parameters, bound as text (a class with properties: the request delegate generator cannot bind
    /// a constructor with nullable reference parameters, dotnet/aspnetcore#58953).</summary>
    public sealed class ListQuery
    {
        [FromQuery(Name = "name")]
        public string? Name { get; init; }

        [FromQuery(Name = "status")]
        public string? Status { get; init; }

        [FromQuery(Name = "limit")]
        public string? Limit { get; init; }

        [FromQuery(Name = "offset")]
        public string? Offset { get; init; }

        [FromQuery(Name = "sort")]
        public string? Sort { get; init; }

        [FromQuery(Name = "order")]
        public string? Order { get; init; }
    }

    private static async Task<IResult> ListAsync([AsParameters] ListQuery query, IPackageManager packages, CancellationToken cancellationToken)
    {
        if (query.Name is not null && !PackageNames.IsValidGlob(query.Name))
        {
            return Envelope.Invalid("name", "name must be a package name, optionally with * wildcards");
        }

        if (QueryParsing.First(
                QueryParsing.Paging(query.Limit, query.Offset, out var limit, out var offset),
                QueryParsing.Choice("status", query.Status, Statuses, "installed", out var status),
                QueryParsing.Choice("sort", query.Sort, Sorts, "name", out var sort),
                QueryParsing.Order(query.Order, defaultDescending: false, out var descending)) is { } failure)
        {
            return Envelope.Invalid(failure);
        }

        var view = SortedViews.Of(await packages.ListInstalledAsync(cancellationToken), descending ? sort + " desc" : sort, Sorted);
        var matches = query.Name is null ? null : PackageNames.GlobMatcher(query.Name);
        Func<PackageDto, bool>? include = (matches, status) switch
        {
            (null, "upgradable") => p => p.Upgradable,
            (null, _) => null,
            (_, "upgradable") => p => p.Upgradable && matches(p.Name),
            _ => p => matches(p.Name),
        };
        // Each package is encoded once per snapshot and order: serialising the page was a third of a listing's CPU.
        var encoded = SortedViews.Of(view, "encoded", static (dtos, _) => dtos.Select(Envelope.Encode).ToArray());
        var (page, total) = SortedViews.Page(view, encoded, include, limit, offset);
        return Envelope.Ok(new EncodedPackageList(page, total, limit, offset));
    }

    /// <summary>The list as wire objects in one order (<c>name</c>, <c>version</c> or <c>size</c>, then " desc" for descending).</summary>
    private static PackageDto[] Sorted(IReadOnlyList<InstalledPackage> installed, string order)
    {
        var descending = order.EndsWith(" desc", StringComparison.Ordinal);
        IEnumerable<InstalledPackage> sorted = (descending ? order[..^5] : order, descending) switch
        {
            ("version", false) => installed.OrderBy(p => p.Version, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal),
            ("version", true) => installed.OrderByDescending(p => p.Version, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal),
            ("size", false) => installed.OrderBy(p => p.SizeBytes ?? 0).ThenBy(p => p.Name, StringComparer.Ordinal),
            ("size", true) => installed.OrderByDescending(p => p.SizeBytes ?? 0).ThenBy(p => p.Name, StringComparer.Ordinal),
            (_, false) => installed.OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Architecture, StringComparer.Ordinal),
            (_, true) => installed.OrderByDescending(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Architecture, StringComparer.Ordinal),
        };
        return sorted.Select(ToDto).ToArray();
    }

    private static async Task<IResult> GetAsync(string name, IPackageManager packages, CancellationToken cancellationToken)
    {
        if (!PackageNames.IsValidName(name))
        {
            return Envelope.Invalid("name", InvalidName);
        }

        var detail = await packages.GetPackageAsync(name, cancellationToken);
        if (detail is null)
        {
            return Envelope.NotFound(ErrorCodes.PackageNotFound, $"package '{name}' is not installed", "package", name);
        }

        var p = detail.Package;
        return Envelope.Ok(new PackageDetailDto
        {
            Name = p.Name,
            Version = p.Version,
            Status = p.Status,
            Description = p.Description,
            SizeBytes = p.SizeBytes,
            InstalledAt = p.InstalledAt,
            Upgradable = p.AvailableVersion is not null,
            AvailableVersion = p.AvailableVersion,
            Dependencies = p.Dependencies,
            ReverseDependencies = detail.ReverseDependencies,
            Maintainer = p.Maintainer,
            Architecture = p.Architecture,
            Homepage = detail.Homepage,
            License = detail.License,
            Files = detail.Files,
        });
    }

    private static IResult Install(InstallRequest request, IJobManager jobs, HttpContext context)
    {
        if (Idempotency.Answer(context, jobs, JobOperations.Install, out var key) is { } answered)
        {
            return answered;
        }

        if (request.Packages is not { Count: > 0 } specs)
        {
            return Envelope.Invalid("packages", "packages must list at least one package");
        }

        if (specs.Count > MaxPackagesPerRequest)
        {
            return Envelope.Invalid("packages", $"at most {MaxPackagesPerRequest} packages per request");
        }

        for (var i = 0; i < specs.Count; i++)
        {
            if (ValidateSpec(specs[i], $"packages[{i}]") is { } failure)
            {
                return Envelope.Invalid(failure);
            }
        }

        var options = request.Options ?? new PackageOptions();
        var operation = new PackageOperation(OperationKind.Install, specs.Select(s => new PackageTarget(s.Name!, s.Version)).ToList())
        {
            Force = options.Force,
            NoRecommends = options.NoRecommends,
            AllowDowngrade = options.AllowDowngrade,
        };
        var jobRequest = new JobRequest(JobOperations.Install, operation)
        {
            Packages = specs,
            RequestedBy = RequestGuardMiddleware.ClientIdentity(context),
            RequestId = Envelope.RequestId(context),
            IdempotencyKey = key,
        };
        return Envelope.Accepted(jobs.Submit(jobRequest).ToAccepted(jobRequest));
    }

    private static async Task<IResult> UpdateAsync(string name, UpdateRequest? request, IPackageManager packages, IJobManager jobs, HttpContext context, CancellationToken cancellationToken)
    {
        if (Idempotency.Answer(context, jobs, JobOperations.Update, out var key) is { } answered)
        {
            return answered;
        }

        if (!PackageNames.IsValidName(name))
        {
            return Envelope.Invalid("name", InvalidName);
        }

        request ??= new UpdateRequest();
        if (request.Version is not null && !PackageNames.IsValidVersion(request.Version))
        {
            return Envelope.Invalid("version", InvalidVersion);
        }

        if (await NotInstalledAsync(packages, name, cancellationToken) is { } notFound)
        {
            return notFound;
        }

        var options = request.Options ?? new PackageOptions();
        var operation = new PackageOperation(OperationKind.Update, [new PackageTarget(name, request.Version)])
        {
            Force = options.Force,
            NoRecommends = options.NoRecommends,
            AllowDowngrade = options.AllowDowngrade,
        };
        var jobRequest = new JobRequest(JobOperations.Update, operation)
        {
            Packages = [new PackageSpec { Name = name, Version = request.Version }],
            TargetVersion = request.Version ?? "latest",
            RequestedBy = RequestGuardMiddleware.ClientIdentity(context),
            RequestId = Envelope.RequestId(context),
            IdempotencyKey = key,
        };
        return Envelope.Accepted(jobs.Submit(jobRequest).ToAccepted(jobRequest));
    }

    private static async Task<IResult> RemoveAsync(string name, string? purge, string? force, IPackageManager packages, IJobManager jobs, HttpContext context, CancellationToken cancellationToken)
    {
        if (Idempotency.Answer(context, jobs, JobOperations.Remove, out var key) is { } answered)
        {
            return answered;
        }

        if (!PackageNames.IsValidName(name))
        {
            return Envelope.Invalid("name", InvalidName);
        }

        if (QueryParsing.First(QueryParsing.Boolean("purge", purge, out var purgeFlag), QueryParsing.Boolean("force", force, out var forceFlag)) is { } failure)
        {
            return Envelope.Invalid(failure);
        }

        if (await NotInstalledAsync(packages, name, cancellationToken) is { } notFound)
        {
            return notFound;
        }

        var operation = new PackageOperation(OperationKind.Remove, [new PackageTarget(name)]) { Purge = purgeFlag, Force = forceFlag };
        var jobRequest = new JobRequest(JobOperations.Remove, operation)
        {
            Packages = [new PackageSpec { Name = name }],
            RequestedBy = RequestGuardMiddleware.ClientIdentity(context),
            RequestId = Envelope.RequestId(context),
            IdempotencyKey = key,
        };
        return Envelope.Accepted(jobs.Submit(jobRequest).ToAccepted(jobRequest));
    }

    internal const string InvalidName = "name must be a package name: lowercase letters, digits and + . _ -, not starting with '-', at most 128 characters, optionally :arch";
    internal const string InvalidVersion = "version may hold only letters, digits and . + ~ : _ -, at most 128 characters";

    internal static ValidationFailure? ValidateSpec(PackageSpec? spec, string field)
    {
        if (spec is null)
        {
            return new(field, $"{field} must be an object with a name");
        }

        if (!PackageNames.IsValidName(spec.Name))
        {
            return new($"{field}.name", InvalidName);
        }

        return spec.Version is not null && !PackageNames.IsValidVersion(spec.Version) ? new($"{field}.version", InvalidVersion) : null;
    }

    private static async Task<IResult?> NotInstalledAsync(IPackageManager packages, string name, CancellationToken cancellationToken)
    {
        var versions = await packages.GetInstalledVersionsAsync([name], cancellationToken);
        return versions.TryGetValue(name, out var version) && version is not null
            ? null
            : Envelope.NotFound(ErrorCodes.PackageNotFound, $"package '{name}' is not installed", "package", name);
    }

    internal static PackageDto ToDto(InstalledPackage p) => new()
    {
        Name = p.Name,
        Version = p.Version,
        Status = p.Status,
        Description = p.Description,
        SizeBytes = p.SizeBytes,
        InstalledAt = p.InstalledAt,
        Upgradable = p.AvailableVersion is not null,
        AvailableVersion = p.AvailableVersion,
        Dependencies = p.Dependencies,
        Maintainer = p.Maintainer,
        Architecture = p.Architecture,
    };
}
