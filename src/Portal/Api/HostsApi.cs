using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;

namespace PatchPortal.Portal.Api;

/// <summary>A host as scripts write it: the same fields as the host form.</summary>
public sealed record HostWrite(
    [property: Description("Host name: letters, digits, dots, hyphens, underscores")] string? Name,
    [property: Description("IP address or DNS name the portal reaches the agent at")] string? Address,
    [property: Description("Agent port (default 12443)")] int? AgentPort,
    [property: Description("Ids of the groups the host belongs to (replaces the current set)")] IReadOnlyList<Guid>? GroupIds,
    [property: Description("Tags (replaces the current set)")] IReadOnlyList<string>? Tags)
{
    public HostInput ToInput() => new(Name ?? "", Address ?? "", AgentPort ?? HostInputRules.DefaultAgentPort, GroupIds ?? [], Tags ?? []);
}

/// <summary>A new host and the one-time enrolment token for its agent.</summary>
public sealed record HostCreated(HostDetail Host, EnrollmentTicket? Enrollment);

/// <summary><c>/api/v1/hosts</c>: the host list with the UI's filters, one host, its packages and updates, and changes.</summary>
public static class HostsApi
{
    private static readonly string[] Sorts = [HostSort.Name, HostSort.Address, HostSort.Os, HostSort.Health, HostSort.LastSeen, HostSort.Security, HostSort.Other, HostSort.Inventory];

    public static void MapHostsApi(this RouteGroupBuilder api)
    {
        var hosts = api.MapGroup("/hosts").WithTags("Hosts");
        hosts.MapGet("/", ListAsync).WithName("ListHosts").WithSummary("List hosts, filtered, sorted and paged like the host list")
            .Produces<ApiPage<HostRow>>().WithProblems(400);
        hosts.MapGet("/{id:guid}", GetAsync).WithName("GetHost").WithSummary("One host").Produces<HostDetail>().WithProblems(404);
        hosts.MapGet("/{id:guid}/packages", PackagesAsync).WithName("ListHostPackages").WithSummary("Installed packages of a host")
            .Produces<ApiPage<InstalledPackage>>().WithProblems(400, 404);
        hosts.MapGet("/{id:guid}/updates", UpdatesAsync).WithName("ListHostUpdates").WithSummary("Pending updates of a host")
            .Produces<ApiPage<PendingUpdate>>().WithProblems(400, 404);
        hosts.MapPost("/", AddAsync).RequireAuthorization(ApiPolicies.Write).WithName("AddHost")
            .WithSummary("Add a host; the answer carries its one-time enrolment token and install command")
            .Produces<HostCreated>(StatusCodes.Status201Created).WithProblems(400, 409, 413, 422);
        hosts.MapPut("/{id:guid}", UpdateAsync).RequireAuthorization(ApiPolicies.Write).WithName("UpdateHost")
            .WithSummary("Change a host's name, address, port, groups and tags").Produces<HostDetail>().WithProblems(400, 404, 409, 413, 422);
        hosts.MapDelete("/{id:guid}", RemoveAsync).RequireAuthorization(ApiPolicies.Write).WithName("RemoveHost")
            .WithSummary("Remove a host with its inventory and history (audited)").Produces(StatusCodes.Status204NoContent).WithProblems(404);
        hosts.MapPost("/{id:guid}/refresh", RefreshAsync).RequireAuthorization(ApiPolicies.Write).WithName("RefreshHost")
            .WithSummary("Queue an inventory refresh of a host").Produces(StatusCodes.Status202Accepted).WithProblems(404, 409);
        hosts.MapPost("/{id:guid}/enrollment-token", IssueTokenAsync).RequireAuthorization(ApiPolicies.Write).WithName("IssueEnrollmentToken")
            .WithSummary("Issue a new one-time enrolment token (replaces an unused one)").Produces<EnrollmentTicket>().WithProblems(404, 409);
        api.MapGet("/tags", TagsAsync).WithTags("Hosts").WithName("ListTags").WithSummary("Every tag in use").Produces<IReadOnlyList<string>>().WithProblems();
    }

    private static async Task<IResult> ListAsync(
        HostCatalog catalog,
        [Description("Part of a host name or address")] string? q,
        [Description("Group name")] string? group,
        [Description("Tag")] string? tag,
        [Description("Operating system name")] string? os,
        [Description("Healthy, Degraded, Unreachable, Unknown or PendingEnrolment")] string? health,
        [Description("Only hosts with pending security updates")] bool? security,
        [Description("Only hosts that need a reboot")] bool? reboot,
        [Description("Only hosts whose inventory is stale")] bool? stale,
        [Description("name, address, os, health, lastSeen, security, other or inventory")] string? sort,
        [Description("Sort descending")] bool? desc,
        int? page,
        int? pageSize,
        CancellationToken cancellationToken)
    {
        var (paging, error) = ApiPaging.Read(page, pageSize);
        if (error is not null)
        {
            return ApiProblems.BadRequest(error);
        }

        var (wanted, healthError) = ApiQuery.Enum<HostHealth>(health, nameof(health));
        if (healthError is not null)
        {
            return ApiProblems.BadRequest(healthError);
        }

        string? by = null;
        if (!string.IsNullOrWhiteSpace(sort))
        {
            by = Sorts.FirstOrDefault(s => string.Equals(s, sort, StringComparison.OrdinalIgnoreCase) || string.Equals(SortName(s), sort, StringComparison.OrdinalIgnoreCase));
            if (by is null)
            {
                return ApiProblems.BadRequest($"sort must be one of {string.Join(", ", Sorts.Select(SortName))}.");
            }
        }

        var filter = new HostFilter(q, group, tag, os, wanted, security ?? false, reboot ?? false, stale ?? false);
        var result = await catalog.GetPageAsync(filter, new HostSort(by, desc ?? false), paging.Index, paging.PageSize, cancellationToken);
        return TypedResults.Ok(paging.Of(result.Items, result.Total));
    }

    private static string SortName(string sort) => sort switch
    {
        HostSort.Os => "os",
        HostSort.LastSeen => "lastSeen",
        HostSort.Security => "security",
        HostSort.Other => "other",
        HostSort.Inventory => "inventory",
        _ => ApiJson.FieldName(sort),
    };

    private static async Task<IResult> GetAsync(Guid id, HostCatalog catalog, CancellationToken cancellationToken) =>
        await catalog.GetDetailAsync(id, cancellationToken) is { } host ? TypedResults.Ok(host) : HostNotFound(id);

    private static async Task<IResult> PackagesAsync(Guid id, HostCatalog catalog, [Description("Part of a package name")] string? q, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var (paging, error) = ApiPaging.Read(page, pageSize);
        if (error is not null)
        {
            return ApiProblems.BadRequest(error);
        }

        if (await catalog.GetDetailAsync(id, cancellationToken) is null)
        {
            return HostNotFound(id);
        }

        var result = await catalog.GetPackagesAsync(id, q, new PackageSort(), paging.Index, paging.PageSize, cancellationToken);
        return TypedResults.Ok(paging.Of(result.Items, result.Total));
    }

    private static async Task<IResult> UpdatesAsync(Guid id, HostCatalog catalog, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var (paging, error) = ApiPaging.Read(page, pageSize);
        if (error is not null)
        {
            return ApiProblems.BadRequest(error);
        }

        if (await catalog.GetDetailAsync(id, cancellationToken) is null)
        {
            return HostNotFound(id);
        }

        var result = await catalog.GetPendingUpdatesAsync(id, paging.Index, paging.PageSize, cancellationToken);
        return TypedResults.Ok(paging.Of(result.Items, result.Total));
    }

    private static async Task<IResult> AddAsync(HostWrite body, HostCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        var result = await catalog.AddAsync(body.ToInput(), ApiActor.Of(context), cancellationToken);
        if (!result.Succeeded || result.HostId is not { } id)
        {
            return ApiResults.Refused(result.Status, result.Error, result.FieldErrors);
        }

        var host = await catalog.GetDetailAsync(id, cancellationToken);
        return TypedResults.Created($"{ApiExtensions.Prefix}/hosts/{id}", new HostCreated(host!, result.Ticket));
    }

    private static async Task<IResult> UpdateAsync(Guid id, HostWrite body, HostCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        var result = await catalog.UpdateAsync(id, body.ToInput(), ApiActor.Of(context), cancellationToken);
        if (!result.Succeeded)
        {
            return ApiResults.Refused(result.Status, result.Error, result.FieldErrors);
        }

        return await catalog.GetDetailAsync(id, cancellationToken) is { } host ? TypedResults.Ok(host) : HostNotFound(id);
    }

    private static async Task<IResult> RemoveAsync(Guid id, HostCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        var result = await catalog.RemoveAsync(id, ApiActor.Of(context), cancellationToken);
        return result.Succeeded ? TypedResults.NoContent() : ApiResults.Refused(result.Status, result.Error);
    }

    private static async Task<IResult> RefreshAsync(Guid id, HostCatalog catalog, CancellationToken cancellationToken)
    {
        if (await catalog.GetDetailAsync(id, cancellationToken) is null)
        {
            return HostNotFound(id);
        }

        return catalog.RequestRefresh([id])
            ? TypedResults.Accepted($"{ApiExtensions.Prefix}/hosts/{id}")
            : ApiProblems.Conflict("Inventory refresh is not available on this portal.");
    }

    private static async Task<IResult> IssueTokenAsync(Guid id, HostCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        var result = await catalog.IssueTokenAsync(id, ApiActor.Of(context), cancellationToken);
        return result.Succeeded && result.Ticket is { } ticket ? TypedResults.Ok(ticket) : ApiResults.Refused(result.Status, result.Error);
    }

    private static async Task<IResult> TagsAsync(HostCatalog catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok(await catalog.GetTagNamesAsync(cancellationToken));

    private static ProblemHttpResult HostNotFound(Guid id) => ApiProblems.NotFound($"There is no host {id}.");
}
