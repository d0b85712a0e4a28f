using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace PatchPortal.Portal.Api.Tokens;

/// <summary>
/// The <c>ApiToken</c> scheme: <c>Authorization: Bearer pp_…</c>. The principal is the token's user with the user's
/// current role, plus a <c>scope</c> claim per scope and the token's id and name. Challenges and refusals are written
/// as ProblemDetails by <see cref="ApiAuthorizationResultHandler"/>.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";
    public const string ScopeClaim = "scope";
    public const string TokenIdClaim = "api_token_id";
    public const string TokenNameClaim = "api_token_name";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("Send the API token as 'Authorization: Bearer <token>'.");
        }

        var secret = header["Bearer ".Length..].Trim();
        var (identity, refusal) = await tokens.AuthenticateAsync(secret, Context.Connection.RemoteIpAddress?.ToString(), Context.RequestAborted);
        if (identity is null)
        {
            return AuthenticateResult.Fail(refusal ?? "The API token is not valid.");
        }

        List<Claim> claims =
        [
            new(ClaimTypes.Name, identity.UserName),
            new(ClaimTypes.Role, identity.Role),
            new(TokenIdClaim, identity.TokenId.ToString()),
            new(TokenNameClaim, identity.TokenName),
        ];
        claims.AddRange(Enum.GetValues<Data.Entities.ApiTokenScopes>()
            .Where(s => s != Data.Entities.ApiTokenScopes.None && identity.Scopes.HasFlag(s))
            .Select(s => new Claim(ScopeClaim, s.ToString().ToLowerInvariant())));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}
