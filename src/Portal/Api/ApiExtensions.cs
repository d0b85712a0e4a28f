using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using PatchPortal.Portal.Api.Tokens;
using Scalar.AspNetCore;

namespace PatchPortal.Portal.Api;

/// <summary>
/// The REST API for scripts at <c>/api/v1</c>: API-token authentication, the same roles as the UI narrowed by the
/// token's scopes, RFC 9457 problems for every error, strict JSON, body size limits, rate limits per token and per
/// source address, and an OpenAPI document rendered at <c>/api/docs</c>.
/// </summary>
public static partial class ApiExtensions
{
    public const string Prefix = "/api/v1";
    public const string DocumentName = "v1";
    public const string DocsPath = "/api/docs";

    public static bool IsApiRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Path.StartsWithSegments(Prefix, StringComparison.OrdinalIgnoreCase);
    }

    public static IHostApplicationBuilder AddPortalApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ApiTokenService>();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
        services.Configure<AuthorizationOptions>(ApiPolicies.Configure);
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ApiAuthorizationResultHandler>();
        services.ConfigureHttpJsonOptions(ApiJson.Configure);
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Extensions["requestId"] = c.HttpContext.TraceIdentifier;
            c.ProblemDetails.Instance ??= c.HttpContext.Request.Path;
        });
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddRateLimiter(ConfigureRateLimits);
        services.AddOpenApi(DocumentName, o =>
        {
            o.ShouldInclude = d => d.RelativePath?.StartsWith("api/v1/", StringComparison.OrdinalIgnoreCase) == true
                && !string.Equals(d.RelativePath, "api/v1/enroll", StringComparison.OrdinalIgnoreCase);
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "PatchPortal API",
                    Version = "v1",
                    Description = "Hosts, groups, inventory, maintenance windows, patch plans, runs and the audit trail. " +
                        "Authenticate with an API token (create one under API tokens in the portal): `Authorization: Bearer pp_…`. " +
                        "Errors are RFC 9457 problem details; lists take `page` (from 1) and `pageSize` (1–500) and return the total.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
                document.Components.SecuritySchemes["apiToken"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "A PatchPortal API token (pp_…).",
                };
                document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("apiToken", document)] = [] }];
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    /// <summary>Rate limits and body size limits; call after authentication (limits are per token) and before authorization.</summary>
    public static WebApplication UsePortalApi(this WebApplication app)
    {
        app.UseWhen(c => IsApiRequest(c.Request), api =>
        {
            api.UseExceptionHandler();
            api.Use(LimitBodySize);
            api.Use(AuthenticateToken);
            api.UseRateLimiter();
        });
        return app;
    }

    /// <summary>
    /// The reference page's one inline script (its configuration) is allowed by its hash, so the page keeps the
    /// portal's strict script policy instead of 'unsafe-inline'.
    /// </summary>
    public static WebApplication UseApiDocsContentSecurity(this WebApplication app)
    {
        app.UseWhen(c => c.Request.Path.StartsWithSegments(DocsPath, StringComparison.OrdinalIgnoreCase), docs => docs.Use(AllowInlineScriptsByHash));
        return app;
    }

    public static WebApplication MapPortalApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference(DocsPath, o => o
            .WithTitle("PatchPortal API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .AddDocument(DocumentName)
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp()
            .AddPreferredSecuritySchemes("apiToken"))
            .AllowAnonymous();

        var api = app.MapGroup(Prefix).DisableAntiforgery().RequireAuthorization(ApiPolicies.Read);
        api.MapMeApi();
        api.MapHostsApi();
        api.MapGroupsApi();
        api.MapWindowsApi();
        api.MapPlansApi();
        api.MapRunsApi();
        api.MapAuditApi();
        api.MapComplianceApi();

        // Anything else under the prefix is a 404 problem, not the Blazor router's HTML page.
        app.Map(Prefix + "/{**rest}", (string? rest) => ApiProblems.NotFound($"There is no API endpoint {Prefix}/{rest}."))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    // The token is authenticated before rate limiting, so the limit can be per token; authorization reuses the result.
    private static async Task AuthenticateToken(HttpContext context, RequestDelegate next)
    {
        var result = await context.AuthenticateAsync(ApiTokenAuthenticationHandler.SchemeName);
        if (result.Succeeded)
        {
            context.User = result.Principal;
        }

        await next(context);
    }

    private static async Task AllowInlineScriptsByHash(HttpContext context, RequestDelegate next)
    {
        var original = context.Response.Body;
        await using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }

        if (context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
        {
            var html = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            var hashes = InlineScript().Matches(html)
                .Select(m => "'sha256-" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(m.Groups[1].Value))) + "'");
            var policy = context.Response.Headers.ContentSecurityPolicy.ToString();
            context.Response.Headers.ContentSecurityPolicy = policy.Replace("script-src 'self'", "script-src 'self' " + string.Join(' ', hashes), StringComparison.Ordinal);
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(original, context.RequestAborted);
    }

    [System.Text.RegularExpressions.GeneratedRegex("<script(?![^>]*\\ssrc=)[^>]*>(.*?)</script>", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex InlineScript();

    private static async Task LimitBodySize(HttpContext context, RequestDelegate next)
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            await ApiProblems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request too large",
                $"The API reads request bodies of at most {limit} bytes; this one is {context.Request.ContentLength}.");
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        await next(context);
    }

    private static void ConfigureRateLimits(RateLimiterOptions limiter)
    {
        limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var tokenId = context.User.FindFirst(ApiTokenAuthenticationHandler.TokenIdClaim)?.Value;
                return tokenId is null
                    ? RateLimitPartition.GetNoLimiter("no-token")
                    : PerMinute("token:" + tokenId, Options(context).TokenRequestsPerMinute);
            }),
            PartitionedRateLimiter.Create<HttpContext, string>(context =>
                PerMinute("source:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown"), Options(context).SourceRequestsPerMinute)));
        limiter.OnRejected = async (rejected, cancellationToken) =>
        {
            var context = rejected.HttpContext;
            var retry = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
            var seconds = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await ApiProblems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many requests",
                $"Rate limit reached; retry after {seconds} s.");
        };
    }

    private static ApiOptions Options(HttpContext context) => context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value;

    // A token bucket holding a minute's permits, refilled every second: bursts up to the limit, the limit per minute.
    private static RateLimitPartition<string> PerMinute(string key, int perMinute) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = Math.Max(1, perMinute / 60),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    /// <summary>Malformed requests (bad JSON, wrong types, unknown fields, oversize bodies) and faults, as problems.</summary>
    private sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is BadHttpRequestException bad)
            {
                var status = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? bad.StatusCode : StatusCodes.Status400BadRequest;
                var detail = bad.InnerException is JsonException json
                    ? $"The request body is not acceptable JSON: {json.Message}"
                    : bad.Message;
                await ApiProblems.WriteAsync(httpContext, status, status == 413 ? "Request too large" : "Bad request", detail);
                return true;
            }

            LogFault(logger, exception, httpContext.Request.Method, httpContext.Request.Path, httpContext.TraceIdentifier);
            await ApiProblems.WriteAsync(httpContext, StatusCodes.Status500InternalServerError, "Internal error",
                $"The portal failed to handle the request; quote request id {httpContext.TraceIdentifier} to an administrator.");
            return true;
        }

        [LoggerMessage(Level = LogLevel.Error, Message = "API request {Method} {Path} failed (request {RequestId})")]
        private static partial void LogFault(ILogger logger, Exception exception, string method, string path, string requestId);
    }
}
