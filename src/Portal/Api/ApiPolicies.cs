using Microsoft.AspNetCore.Authorization;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Api.Tokens;

namespace PatchPortal.Portal.Api;

/// <summary>
/// The API's policies: each needs the token's scope AND the user's role, exactly as the UI would ask. A token's
/// scopes can only narrow what its user may do.
/// </summary>
public static class ApiPolicies
{
    public const string Read = "api:read";
    public const string Write = "api:write";
    public const string Approve = "api:approve";

    public static void Configure(AuthorizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddPolicy(Read, p => Require(p, "read", [.. PortalRoles.All]));
        options.AddPolicy(Write, p => Require(p, "write", PortalRoles.Admin, PortalRoles.Operator));
        options.AddPolicy(Approve, p => Require(p, "approve", PortalRoles.Admin, PortalRoles.Approver));
    }

    private static void Require(AuthorizationPolicyBuilder policy, string scope, params string[] roles) =>
        policy.AddAuthenticationSchemes(ApiTokenAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireRole(roles)
            .RequireClaim(ApiTokenAuthenticationHandler.ScopeClaim, scope);
}
