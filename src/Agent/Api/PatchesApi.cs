using Microsoft.AspNetCore.Mvc;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Agent.Api;

/// <summary>Pending updates presented as patches (one per package update), and applying them.</summary>
public static class PatchesApi
{
    private static readonly string[] Severities = ["critical", "high", "medium", "low", "all"];
    private static readonly string[] Statuses = ["available", "all"];
    private static readonly string[] Sorts = ["severity", "name", "published_date"];

    public static IEndpointRouteBuilder MapPatchesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/patches").WithTags("Patches");
        group.MapGet("/", ListAsync).WithName("ListPatches").WithSummary("Pending updates as patches")
            .Answers<PatchListResponse>().Refuses(StatusCodes.Status400BadRequest)
            .WithQueryValues("severity", Severities).WithQueryValues("status", Statuses).WithQueryValues("sort", Sorts);
        group.MapPost("/apply", ApplyAsync).WithName("ApplyPatches")
            .WithSummary("Apply patches (a job); with options.dry_run the exact manifest and no job")
            .Answers<JobAccepted>(StatusCodes.Status202Accepted).Answers<DryRunManifest>()
            .Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    /// <summary>The list's query parameters, bound as text (a class with properties: the request delegate generator cannot bind
    /// a constructor with nullable reference parameters, dotnet/aspnetcore#58953).</summary>
    public sealed class ListQuery
    {
        [FromQuery(Name = "severity")]
        public string? Severity { get; init; }

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

    /// <summary>A patch id: the package and the version it brings (<c>@</c> occurs in neither).</summary>
    public static string PatchId(AvailableUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return update.Name + "@" + update.CandidateVersion;
    }

    /// <summary>
    /// The backend's severity when it knows one (dnf advisories); otherwise a security update counts as high and any
    /// other update as low, so security work sorts first.
    /// </summary>
    public static string SeverityOf(AvailableUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return update.Severity?.ToUpperInvariant() switch
        {
            "CRITICAL" => "critical",
            "IMPORTANT" or "HIGH" => "high",
            "MODERATE" or "MEDIUM" => "medium",
            "LOW" => "low",
            _ => update.IsSecurity ? "high" : "low",
        };
    }

    private static int Rank(string severity) => severity switch
    {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        _ => 1,
    };

    private static async Task<IResult> ListAsync([AsParameters] ListQuery query, IPackageManager packages, CancellationToken cancellationToken)
    {
        if (QueryParsing.First(
                QueryParsing.Paging(query.Limit, query.Offset, out var limit, out var offset),
                QueryParsing.Choice("severity", query.Severity, Severities, "all", out var severity),
                QueryParsing.Choice("status", query.Status, Statuses, "all", out _),
                QueryParsing.Choice("sort", query.Sort, Sorts, "severity", out var sort),
                QueryParsing.Order(query.Order, defaultDescending: query.Sort is null || !string.Equals(query.Sort, "name", StringComparison.OrdinalIgnoreCase), out var descending)) is { } failure)
        {
            return Envelope.Invalid(failure);
        }

        var view = SortedViews.Of(await packages.ListUpdatesAsync(cancellationToken), descending ? sort + " desc" : sort, Sorted);
        var (page, total) = SortedViews.Page(view, severity == "all" ? null : p => p.Severity == severity, limit, offset);
        return Envelope.Ok(new PatchListResponse(page, total, limit, offset));
    }

    /// <summary>The updates as patches in one order (<c>severity</c>, <c>name</c> or <c>published_date</c>, then " desc" for descending).</summary>
    private static PatchDto[] Sorted(IReadOnlyList<AvailableUpdate> updates, string order)
    {
        var descending = order.EndsWith(" desc", StringComparison.Ordinal);
        var patches = updates.Select(ToDto);
        patches = (descending ? order[..^5] : order, descending) switch
        {
            ("name", false) => patches.OrderBy(p => p.Name, StringComparer.Ordinal),
            ("name", true) => patches.OrderByDescending(p => p.Name, StringComparer.Ordinal),
            ("published_date", false) => patches.OrderBy(p => p.PublishedDate).ThenBy(p => p.Name, StringComparer.Ordinal),
            ("published_date", true) => patches.OrderByDescending(p => p.PublishedDate).ThenBy(p => p.Name, StringComparer.Ordinal),
            (_, false) => patches.OrderBy(p => Rank(p.Severity)).ThenBy(p => p.Name, StringComparer.Ordinal),
            (_, true) => patches.OrderByDescending(p => Rank(p.Severity)).ThenBy(p => p.Name, StringComparer.Ordinal),
        };
        return patches.ToArray();
    }

    private static async Task<IResult> ApplyAsync(PatchApplyRequest? request, IPackageManager packages, IJobManager jobs, HttpContext context, CancellationToken cancellationToken)
    {
        request ??= new PatchApplyRequest();
        var options = request.Options ?? new PatchApplyOptions();
        string? key = null;
        if (!options.DryRun && Idempotency.Answer(context, jobs, JobOperations.PatchApply, out key) is { } answered)
        {
            return answered;
        }

        if ((ValidateNames("packages", request.Packages) ?? ValidateNames("options.exclude_packages", options.ExcludePackages) ?? ValidatePatchIds(request.Patches)) is { } failure)
        {
            return Envelope.Invalid(failure);
        }

        if (options.RebootDelayMinutes is < 0 or > 24 * 60)
        {
            return Envelope.Invalid("options.reboot_delay_minutes", "reboot_delay_minutes must be from 0 to 1440");
        }

        if (request.RebootDelaySeconds is < 0 or > 24 * 3600)
        {
            return Envelope.Invalid("reboot_delay_seconds", "reboot_delay_seconds must be from 0 to 86400");
        }

        var updates = await packages.ListUpdatesAsync(cancellationToken);
        var byName = updates.ToLookup(u => u.Name, StringComparer.Ordinal);
        var byId = updates.ToDictionary(PatchId, StringComparer.Ordinal);

        // Named patches (by id or package name) and named packages together form the selection; none means all.
        var named = new List<AvailableUpdate>();
        foreach (var id in request.Patches ?? [])
        {
            if (byId.TryGetValue(id, out var update))
            {
                named.Add(update);
            }
            else if (byName[id].Any())
            {
                named.AddRange(byName[id]);
            }
            else
            {
                return Envelope.NotFound(ErrorCodes.PatchNotFound, $"no pending patch '{id}'", "patch_id", id);
            }
        }

        foreach (var name in request.Packages ?? [])
        {
            if (!byName[name].Any())
            {
                return Envelope.NotFound(ErrorCodes.PatchNotFound, $"package '{name}' has no pending update", "package", name);
            }

            named.AddRange(byName[name]);
        }

        var exclude = new HashSet<string>(options.ExcludePackages ?? [], StringComparer.Ordinal);
        var selected = (named.Count > 0 ? named.Distinct() : updates)
            .Where(u => !exclude.Contains(u.Name) && (!options.SecurityOnly || u.IsSecurity))
            .ToList();

        var operation = new PackageOperation(OperationKind.Upgrade, named.Count > 0 ? selected.Select(u => new PackageTarget(u.Name)).ToList() : [])
        {
            SecurityOnly = options.SecurityOnly,
            Exclude = [.. exclude],
        };

        if (options.DryRun)
        {
            var plan = await packages.PlanAsync(operation, cancellationToken);
            return Envelope.Ok(new DryRunManifest(plan.Changes.Select(c => new PlannedChange(c.Package, c.From, c.To)).ToList(), plan.RequiresReboot));
        }

        var reboot = options.Reboot ?? request.AllowReboot ?? request.Reboot ?? false;
        var delay = options.RebootDelayMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : TimeSpan.FromSeconds(request.RebootDelaySeconds ?? 0);
        var requiresReboot = selected.Any(u => u.RequiresReboot);
        var jobRequest = new JobRequest(JobOperations.PatchApply, operation)
        {
            Packages = selected.Select(u => new PackageSpec { Name = u.Name, Version = u.CandidateVersion }).ToList(),
            PatchesCount = selected.Count,
            RequiresReboot = requiresReboot,
            RebootAfter = reboot,
            RebootDelay = delay,
            RequestedBy = RequestGuardMiddleware.ClientIdentity(context),
            RequestId = Envelope.RequestId(context),
            IdempotencyKey = key,
        };
        return Envelope.Accepted(jobs.Submit(jobRequest).ToAccepted(jobRequest));
    }

    private static ValidationFailure? ValidateNames(string field, IReadOnlyList<string>? names)
    {
        if (names is null)
        {
            return null;
        }

        if (names.Count > PackagesApi.MaxPackagesPerRequest * 10)
        {
            return new(field, $"{field} may list at most {PackagesApi.MaxPackagesPerRequest * 10} entries");
        }

        for (var i = 0; i < names.Count; i++)
        {
            if (!PackageNames.IsValidName(names[i]))
            {
                return new($"{field}[{i}]", PackagesApi.InvalidName);
            }
        }

        return null;
    }

    private static ValidationFailure? ValidatePatchIds(IReadOnlyList<string>? ids)
    {
        if (ids is null)
        {
            return null;
        }

        for (var i = 0; i < ids.Count; i++)
        {
            var parts = (ids[i] ?? string.Empty).Split('@');
            var valid = parts.Length switch
            {
                1 => PackageNames.IsValidName(parts[0]),
                2 => PackageNames.IsValidName(parts[0]) && PackageNames.IsValidVersion(parts[1]),
                _ => false,
            };
            if (!valid)
            {
                return new($"patches[{i}]", "a patch id is a package name, or name@version as GET /api/v1/patches gives it");
            }
        }

        return null;
    }

    internal static PatchDto ToDto(AvailableUpdate update) => new()
    {
        Id = PatchId(update),
        Name = update.Name,
        Severity = SeverityOf(update),
        Status = "available",
        PublishedDate = update.PublishedAt,
        Description = update.Description ?? $"{update.Name} {update.CurrentVersion} → {update.CandidateVersion}",
        CveIds = update.CveIds,
        AffectedPackages = [update.Name],
        RequiresReboot = update.RequiresReboot,
        Security = update.IsSecurity,
        CurrentVersion = update.CurrentVersion,
        CandidateVersion = update.CandidateVersion,
        Source = update.Source,
    };
}
