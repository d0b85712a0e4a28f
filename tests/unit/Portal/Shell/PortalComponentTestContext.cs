using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Tests.Unit.Portal.Shell;

/// <summary>
/// The one bunit setup for portal components: MudBlazor's services, loose JS interop (MudBlazor calls JS
/// that bunit need not answer), the portal's real authorization policies, and a signed-in user with a role.
/// </summary>
public abstract class PortalComponentTestContext : BunitContext
{
    protected PortalComponentTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddAuthorizationCore(PortalPolicies.Configure);
        // bunit pre-registers placeholders that AddAuthorizationCore's TryAdd would keep: use the real ones.
        Services.AddSingleton<IAuthorizationService, DefaultAuthorizationService>();
        Services.AddSingleton<IAuthorizationPolicyProvider, DefaultAuthorizationPolicyProvider>();
        Services.AddCascadingAuthenticationState();
        Services.AddScoped<CircuitContext>();
        Services.AddScoped<BrowserTimeZone>();
        Services.AddSingleton(TimeProvider.System);
        SignInAs(null);
    }

    /// <summary>Signs a user in with one role, or signs out with null.</summary>
    protected void SignInAs(string? role, string name = "someone@example.test")
    {
        var identity = role is null
            ? new ClaimsIdentity()
            : new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "test");
        Services.AddSingleton<AuthenticationStateProvider>(new FixedAuthenticationStateProvider(new ClaimsPrincipal(identity)));
    }

    private sealed class FixedAuthenticationStateProvider(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }
}
