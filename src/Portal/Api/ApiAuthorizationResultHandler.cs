using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using PatchPortal.Portal.Audit;

namespace PatchPortal.Portal.Api;

/// <summary>
/// Turns the API's authorization outcomes into ProblemDetails a script can act on: 401 says why the token was not
/// accepted, 403 says which role or scope is missing. Every refusal is audited. Requests outside the API keep the
/// UI's behaviour (redirects to sign-in or the denied page).
/// </summary>
public sealed class ApiAuthorizationResultHandler(AuditLog audit) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _fallback = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (!ApiExtensions.IsApiRequest(context.Request) || authorizeResult.Succeeded)
        {
            await _fallback.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        if (authorizeResult.Challenged)
        {
            var failure = (await context.AuthenticateAsync(Tokens.ApiTokenAuthenticationHandler.SchemeName)).Failure?.Message;
            var detail = failure ?? "This endpoint needs an API token: send 'Authorization: Bearer <token>'. Create one under API tokens in the portal.";
            if (failure is not null)
            {
                // A presented but refused token is worth a line in the trail; a request with no token at all is noise.
                await RecordAsync(context, "anonymous", StatusCodes.Status401Unauthorized, detail);
            }

            context.Response.Headers.WWWAuthenticate = failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
            await ApiProblems.WriteAsync(context, StatusCodes.Status401Unauthorized, "Authentication required", detail);
            return;
        }

        var reason = Explain(context, authorizeResult.AuthorizationFailure);
        await RecordAsync(context, context.User.Identity?.Name ?? "anonymous", StatusCodes.Status403Forbidden, reason);
        await ApiProblems.WriteAsync(context, StatusCodes.Status403Forbidden, "Not allowed", reason);
    }

    private static string Explain(HttpContext context, AuthorizationFailure? failure)
    {
        var requirements = failure?.FailedRequirements.ToList() ?? [];
        if (requirements.OfType<RolesAuthorizationRequirement>().FirstOrDefault() is { } roles)
        {
            var role = context.User.FindFirst(System.Security.Claims.ClaimTypes.Role)?.Value ?? "none";
            return $"Your role ({role}) may not do this; it needs one of: {string.Join(", ", roles.AllowedRoles)}.";
        }

        if (requirements.OfType<ClaimsAuthorizationRequirement>().FirstOrDefault() is { } claim)
        {
            return $"The token lacks the '{string.Join("' or '", claim.AllowedValues ?? [])}' scope. Create a token with that scope.";
        }

        return "You are not allowed to do this.";
    }

    private Task<long> RecordAsync(HttpContext context, string actor, int status, string reason) =>
        audit.RecordAsync(new AuditEntry(AuditActions.ApiAccessRefused, actor, $"{context.Request.Method} {context.Request.Path}")
        {
            Succeeded = false,
            SourceAddress = context.Connection.RemoteIpAddress?.ToString(),
            Via = ApiActor.ViaOf(context.User),
            RequestId = context.TraceIdentifier,
            After = new { status, reason },
        }, context.RequestAborted);
}
