using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Api.Tokens;

namespace PatchPortal.Portal.Api;

/// <summary>Who a token acts as: its user, the user's role and the token's scopes and expiry.</summary>
public sealed record ApiIdentity(string User, string Role, string Token, IReadOnlyList<string> Scopes);

/// <summary><c>/api/v1/me</c> and the caller's own tokens.</summary>
public static class MeApi
{
    public static void MapMeApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", Me).WithTags("Tokens").WithName("GetIdentity").WithSummary("The user and scopes this token acts with")
            .Produces<ApiIdentity>().WithProblems();
        api.MapGet("/tokens", ListAsync).WithTags("Tokens").WithName("ListTokens")
            .WithSummary("The caller's API tokens (all users' for an Admin with ?all=true); never the secrets")
            .Produces<ApiPage<ApiTokenRow>>().WithProblems(400);
        api.MapDelete("/tokens/{id:guid}", RevokeAsync).WithTags("Tokens").WithName("RevokeToken")
            .WithSummary("Revoke one of the caller's tokens (an Admin may revoke anyone's); a token may revoke itself")
            .Produces(StatusCodes.Status204NoContent).WithProblems(404, 409);
    }

    private static Ok<ApiIdentity> Me(ClaimsPrincipal user) =>
        TypedResults.Ok(new ApiIdentity(
            user.Identity?.Name ?? "",
            user.FindFirst(ClaimTypes.Role)?.Value ?? "",
            user.FindFirst(ApiTokenAuthenticationHandler.TokenNameClaim)?.Value ?? "",
            [.. user.FindAll(ApiTokenAuthenticationHandler.ScopeClaim).Select(c => c.Value)]));

    private static async Task<IResult> ListAsync(ApiTokenService tokens, ClaimsPrincipal user, bool? all, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var (paging, error) = ApiPaging.Read(page, pageSize);
        if (error is not null)
        {
            return ApiProblems.BadRequest(error);
        }

        if (all == true && !user.IsInRole(PortalRoles.Admin))
        {
            return TypedResults.Problem(title: "Not allowed", detail: "Only an Admin may list every user's tokens.", statusCode: StatusCodes.Status403Forbidden);
        }

        var rows = await tokens.ListAsync(all == true ? null : user.Identity?.Name, cancellationToken);
        return TypedResults.Ok(paging.Of(rows.Skip(paging.Index * paging.PageSize).Take(paging.PageSize).ToList(), rows.Count));
    }

    private static async Task<IResult> RevokeAsync(Guid id, ApiTokenService tokens, HttpContext context, CancellationToken cancellationToken)
    {
        var (succeeded, message) = await tokens.RevokeAsync(id, ApiActor.Of(context), context.User.IsInRole(PortalRoles.Admin), cancellationToken);
        if (succeeded)
        {
            return TypedResults.NoContent();
        }

        return message.StartsWith("No such", StringComparison.Ordinal) ? ApiProblems.NotFound(message) : ApiProblems.Conflict(message);
    }
}
