using System.Security.Claims;
using PatchPortal.Portal.Api.Tokens;
using PatchPortal.Portal.Audit;

namespace PatchPortal.Portal.Api;

/// <summary>The <see cref="Actor"/> of an API request: the token's user, acting via the named token.</summary>
public static class ApiActor
{
    public static Actor Of(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new Actor(context.User.Identity?.Name ?? "unknown", context.Connection.RemoteIpAddress?.ToString())
        {
            Via = ViaOf(context.User),
            RequestId = context.TraceIdentifier,
        };
    }

    public static string? ViaOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.FindFirst(ApiTokenAuthenticationHandler.TokenNameClaim)?.Value is { } name ? "api-token:" + name : null;
    }

    public static bool IsInRole(HttpContext context, string role)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.User.IsInRole(role);
    }
}
