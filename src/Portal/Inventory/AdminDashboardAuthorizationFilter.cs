using Hangfire.Dashboard;
using Microsoft.AspNetCore.Authorization;
using PatchPortal.Portal.Account;

namespace PatchPortal.Portal.Inventory;

/// <summary>
/// Lets only users who meet the portal's Administer policy (through the sign-in cookie) into the Hangfire dashboard.
/// Hangfire answers 401 to the anonymous and 403 to signed-in users who are refused.
/// </summary>
public sealed class AdminDashboardAuthorizationFilter : IDashboardAsyncAuthorizationFilter
{
    public async Task<bool> AuthorizeAsync(DashboardContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        if (http.User.Identity?.IsAuthenticated != true)
        {
            return false;
        }

        var authorization = http.RequestServices.GetRequiredService<IAuthorizationService>();
        return (await authorization.AuthorizeAsync(http.User, PortalPolicies.Administer)).Succeeded;
    }
}
