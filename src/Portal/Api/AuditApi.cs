using System.ComponentModel;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Api;

/// <summary><c>/api/v1/audit</c>: the audit trail, filtered and paged, newest first.</summary>
public static class AuditApi
{
    public static void MapAuditApi(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", ListAsync).WithTags("Audit").WithName("ListAuditEvents")
            .WithSummary("Audit events, newest first; 'via' names the API token a change was made with")
            .Produces<ApiPage<AuditEvent>>().WithProblems(400);
    }

    private static async Task<IResult> ListAsync(
        AuditQuery query,
        [Description("Part of the actor's name")] string? actor,
        [Description("An action, for example host.add or plan.approve")] string? action,
        [Description("From this instant (ISO 8601, inclusive)")] DateTimeOffset? from,
        [Description("Until this instant (ISO 8601, exclusive)")] DateTimeOffset? until,
        [Description("Oldest first instead of newest first")] bool? oldestFirst,
        int? page,
        int? pageSize,
        CancellationToken cancellationToken)
    {
        var (paging, error) = ApiPaging.Read(page, pageSize);
        if (error is not null)
        {
            return ApiProblems.BadRequest(error);
        }

        if (from is not null && until is not null && from >= until)
        {
            return ApiProblems.BadRequest("from must be before until.");
        }

        var result = await query.GetPageAsync(new AuditFilter(actor, action, from, until), paging.Index, paging.PageSize, oldestFirst ?? false, cancellationToken);
        return TypedResults.Ok(paging.Of(result.Items, result.Total));
    }
}
