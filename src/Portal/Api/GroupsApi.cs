using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Groups;

namespace PatchPortal.Portal.Api;

/// <summary>A group as scripts write it; approvals default by environment (production 2, others 1).</summary>
public sealed record GroupWrite(
    [property: Description("Group name, unique")] string? Name,
    string? Description,
    [property: Description("development, staging or production")] GroupEnvironment? Environment,
    [property: Description("Approvals a plan touching this group needs (1-3)")] int? RequiredApprovals)
{
    public GroupInput ToInput()
    {
        var environment = Environment ?? GroupEnvironment.Development;
        return new(Name ?? "", Description, environment, RequiredApprovals ?? GroupInputRules.DefaultApprovals(environment));
    }
}

/// <summary><c>/api/v1/groups</c>: list, get, create, change and delete host groups.</summary>
public static class GroupsApi
{
    public static void MapGroupsApi(this RouteGroupBuilder api)
    {
        var groups = api.MapGroup("/groups").WithTags("Groups");
        groups.MapGet("/", ListAsync).WithName("ListGroups").WithSummary("List groups with their host counts")
            .Produces<ApiPage<GroupRow>>().WithProblems(400);
        groups.MapGet("/{id:guid}", GetAsync).WithName("GetGroup").WithSummary("One group").Produces<GroupRow>().WithProblems(404);
        groups.MapPost("/", CreateAsync).RequireAuthorization(ApiPolicies.Write).WithName("CreateGroup").WithSummary("Create a group")
            .Produces<GroupRow>(StatusCodes.Status201Created).WithProblems(400, 409, 413, 422);
        groups.MapPut("/{id:guid}", UpdateAsync).RequireAuthorization(ApiPolicies.Write).WithName("UpdateGroup").WithSummary("Change a group")
            .Produces<GroupRow>().WithProblems(400, 404, 409, 413, 422);
        groups.MapDelete("/{id:guid}", DeleteAsync).RequireAuthorization(ApiPolicies.Write).WithName("DeleteGroup")
            .WithSummary("Delete a group; a group with hosts needs detachHosts=true").Produces(StatusCodes.Status204NoContent).WithProblems(404, 409);
    }

    private static async Task<IResult> ListAsync(
        GroupCatalog catalog,
        [Description("Part of a name or description")] string? q,
        [Description("name, environment, requiredApprovals or hostCount")] string? sort,
        bool? desc,
        int? page,
        int? pageSize,
        CancellationToken cancellationToken)
    {
        var (paging, error) = ApiPaging.Read(page, pageSize);
        if (error is not null)
        {
            return ApiProblems.BadRequest(error);
        }

        string[] sorts = [nameof(GroupRow.Name), nameof(GroupRow.Environment), nameof(GroupRow.RequiredApprovals), nameof(GroupRow.HostCount)];
        var (by, sortError) = ApiPaging.Sort(sort, sorts);
        if (sortError is not null)
        {
            return ApiProblems.BadRequest(sortError);
        }

        var result = await catalog.GetPageAsync(q, by, desc ?? false, paging.Index, paging.PageSize, cancellationToken);
        return TypedResults.Ok(paging.Of(result.Items, result.Total));
    }

    private static async Task<IResult> GetAsync(Guid id, GroupCatalog catalog, CancellationToken cancellationToken) =>
        await catalog.GetAsync(id, cancellationToken) is { } group ? TypedResults.Ok(group) : NotFound(id);

    private static async Task<IResult> CreateAsync(GroupWrite body, GroupCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        var result = await catalog.CreateAsync(body.ToInput(), ApiActor.Of(context), cancellationToken);
        if (!result.Succeeded || result.GroupId is not { } id)
        {
            return Refused(result);
        }

        return TypedResults.Created($"{ApiExtensions.Prefix}/groups/{id}", await catalog.GetAsync(id, cancellationToken));
    }

    private static async Task<IResult> UpdateAsync(Guid id, GroupWrite body, GroupCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        var result = await catalog.UpdateAsync(id, body.ToInput(), ApiActor.Of(context), cancellationToken);
        if (!result.Succeeded)
        {
            return Refused(result);
        }

        return await catalog.GetAsync(id, cancellationToken) is { } group ? TypedResults.Ok(group) : NotFound(id);
    }

    private static async Task<IResult> DeleteAsync(
        Guid id, GroupCatalog catalog, HttpContext context, [Description("Also delete a group that still has hosts (they stay, without it)")] bool? detachHosts, CancellationToken cancellationToken)
    {
        var result = await catalog.DeleteAsync(id, detachHosts ?? false, ApiActor.Of(context), cancellationToken);
        return result.Succeeded ? TypedResults.NoContent() : Refused(result);
    }

    private static IResult Refused(GroupChangeResult result) =>
        ApiResults.Refused(result.Status, result.Error,
            result.Field is null ? null : new Dictionary<string, string>(StringComparer.Ordinal) { [result.Field] = result.Error ?? "" });

    private static ProblemHttpResult NotFound(Guid id) => ApiProblems.NotFound($"There is no group {id}.");
}
