using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace PatchPortal.Portal.Account;

/// <summary>The form posted by the static login page.</summary>
public sealed class LoginForm
{
    public string? Email { get; set; }
    public string? Password { get; set; }
    public string? ReturnUrl { get; set; }
}

internal static class AccountEndpoints
{
    /// <summary>POST /account/login and /account/logout; both check the antiforgery token of the form.</summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // Both change the sign-in state, so both demand the form's antiforgery token (logout binds no form field,
        // which would otherwise leave it unchecked).
        var group = app.MapGroup("/account").WithMetadata(new RequireAntiforgeryTokenAttribute());
        group.MapPost("/login", LoginAsync).AllowAnonymous();
        group.MapPost("/logout", LogoutAsync).RequireAuthorization();
        return app;
    }

    private static async Task<RedirectHttpResult> LoginAsync(
        [FromForm] LoginForm form, HttpContext http, AccountService account, CancellationToken cancellationToken)
    {
        var returnUrl = SafeReturnUrl(form.ReturnUrl);
        if (string.IsNullOrWhiteSpace(form.Email) || string.IsNullOrEmpty(form.Password))
        {
            return TypedResults.LocalRedirect(LoginUrl("missing", returnUrl, form.Email));
        }

        var outcome = await account.SignInAsync(form.Email.Trim(), form.Password, SourceAddress(http), cancellationToken);
        return outcome switch
        {
            SignInOutcome.Succeeded => TypedResults.LocalRedirect(returnUrl),
            SignInOutcome.LockedOut => TypedResults.LocalRedirect(LoginUrl("locked", returnUrl, form.Email)),
            _ => TypedResults.LocalRedirect(LoginUrl("invalid", returnUrl, form.Email)),
        };
    }

    private static async Task<RedirectHttpResult> LogoutAsync(HttpContext http, AccountService account, CancellationToken cancellationToken)
    {
        await account.SignOutAsync(http.User.FindFirstValue(ClaimTypes.Name), SourceAddress(http), cancellationToken);
        return TypedResults.LocalRedirect("/account/login");
    }

    internal static string? SourceAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString();

    /// <summary>Only local paths: an open redirect after login would be a phishing aid.</summary>
    internal static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/";

    private static string LoginUrl(string error, string returnUrl, string? email) =>
        $"/account/login?error={error}&returnUrl={Uri.EscapeDataString(returnUrl)}&email={Uri.EscapeDataString(email ?? "")}";
}
