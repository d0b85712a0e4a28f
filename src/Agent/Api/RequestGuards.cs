using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Connections.Features;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Packages;
using PatchPortal.Agent.Security;

namespace PatchPortal.Agent.Api;

/// <summary>
/// The first middleware: gives the request its id, refuses requests that carry no verified client identity (only
/// possible for <c>/health</c> when anonymous health is on), refuses ambiguous headers, turns every failure below it
/// into an envelope (bodiless framework answers too: what <c>UseStatusCodePages</c> would do, without the per-request
/// items dictionary it builds), records the request's metrics and logs it.
/// </summary>
public sealed partial class RequestGuardMiddleware(RequestDelegate next, ILogger<RequestGuardMiddleware> logger, Microsoft.Extensions.Options.IOptions<AgentOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[RequestIds.Header];
        var requestId = incoming.Count == 1 ? RequestIds.From(incoming[0]) : RequestIds.New();
        var identity = context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(AgentSecurityExtensions.ClientIdentityItem, out var value) == true ? value as string : null;
        context.Features.Set(new AgentRequestFeature(requestId, identity));
        context.Response.Headers[RequestIds.Header] = requestId;

        if (identity is null && !(options.Value.Health.AllowAnonymous && IsHealthPath(context.Request.Path) && HttpMethods.IsGet(context.Request.Method)))
        {
            LogNoIdentity(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown", context.Request.Path);
            await Envelope.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, ErrorCodes.AuthInvalidCert, "a client certificate on the allow-list is required");
            return;
        }

        if (context.Request.Headers.ContentType.Count > 1 || context.Request.Headers["Content-Length"].Count > 1)
        {
            await Envelope.WriteErrorAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidRequest, "duplicate Content-Type or Content-Length header");
            return;
        }

        if (context.Request.ContentLength > options.Value.Limits.MaxRequestBodyBytes)
        {
            await Envelope.WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge,
                $"request body is larger than Agent:Limits:MaxRequestBodyBytes ({options.Value.Limits.MaxRequestBodyBytes} bytes) allows");
            return;
        }

        // Monitoring polls (health, metrics) log nothing unless they fail, so they open the request's log scope only when
        // their answer line is logged (Debug) or when they fail (below): a scope costs an async-local switch and three
        // objects per request. What a poll's health refresh logs (a failed dpkg --audit) then carries no request id.
        var routine = IsRoutine(context);
        using var scope = routine && !logger.IsEnabled(LogLevel.Debug) ? null : RequestScope(logger, requestId, identity ?? "anonymous");
        var started = Stopwatch.GetTimestamp();
        RequestMetrics.Started();
        try
        {
            await next(context);
            if (!context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentLength is null && context.Response.ContentType is null)
            {
                await WriteBodilessErrorAsync(context);
            }
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            await WriteBadRequestAsync(context, ex);
        }
        catch (PackageManagerException ex) when (!context.Response.HasStarted)
        {
            using (scope is null ? RequestScope(logger, requestId, identity ?? "anonymous") : null)
            {
                LogPackageManagerFailed(logger, ex, context.Request.Method, context.Request.Path);
            }

            var notFound = ex.ErrorCode == JobErrorCodes.PackageNotFound;
            await Envelope.WriteErrorAsync(context, notFound ? StatusCodes.Status404NotFound : StatusCodes.Status500InternalServerError,
                notFound ? ErrorCodes.PackageNotFound : ErrorCodes.PackageManagerError, ex.Message,
                new Dictionary<string, object?> { ["job_error_code"] = ex.ErrorCode }, retryable: !notFound);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            using (scope is null ? RequestScope(logger, requestId, identity ?? "anonymous") : null)
            {
                LogUnhandled(logger, ex, context.Request.Method, context.Request.Path);
            }

            await Envelope.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, ErrorCodes.InternalError, "unexpected error; see the agent's log for request " + requestId, retryable: true);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            RequestMetrics.Finished(context, elapsed);
            LogAnswered(context, routine, elapsed);
        }
    }

    /// <summary>The allow-listed identity of the request's client certificate (null before the guard ran, or anonymous).</summary>
    public static string? ClientIdentity(HttpContext context) => context?.Features.Get<AgentRequestFeature>()?.Client;

    /// <summary>One line per request, in the request's scope; polls (health, metrics) only at Debug.</summary>
    private void LogAnswered(HttpContext context, bool routine, TimeSpan elapsed)
    {
        var path = context.Request.Path;
        var level = routine ? LogLevel.Debug : LogLevel.Information;
        var milliseconds = (long)elapsed.TotalMilliseconds;
        LogRequest(logger, level, context.Request.Method, path.Value ?? "/", context.Response.StatusCode, milliseconds);
    }

    private static readonly Func<ILogger, string, string, IDisposable?> RequestScope =
        LoggerMessage.DefineScope<string, string>("Request {RequestId} from {Client}");

    /// <summary>A monitoring poll: GET of the health or metrics path.</summary>
    private static bool IsRoutine(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) && (IsHealthPath(context.Request.Path) || context.Request.Path == "/metrics");

    private static bool IsHealthPath(PathString path) => path == "/health" || path == "/api/v1/health";

    /// <summary>
    /// An envelope for an error the framework answered without a body: no route (404), a route without the method (405),
    /// a body over the limit (413), or a body that could not be read (400, 415).
    /// </summary>
    private Task WriteBodilessErrorAsync(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => Envelope.WriteErrorAsync(context, 404, ErrorCodes.NotFound, $"no such path: {context.Request.Path}"),
        StatusCodes.Status405MethodNotAllowed => Envelope.WriteErrorAsync(context, 405, ErrorCodes.MethodNotAllowed,
            $"{context.Request.Method} is not served on {context.Request.Path}; allowed: {context.Response.Headers.Allow}"),
        StatusCodes.Status413PayloadTooLarge => Envelope.WriteErrorAsync(context, 413, ErrorCodes.PayloadTooLarge,
            $"request body is larger than Agent:Limits:MaxRequestBodyBytes ({options.Value.Limits.MaxRequestBodyBytes} bytes) allows"),
        StatusCodes.Status400BadRequest or StatusCodes.Status415UnsupportedMediaType => Envelope.WriteErrorAsync(context, 400, ErrorCodes.InvalidRequest,
            "the request could not be read; send a JSON body with Content-Type: application/json", new Dictionary<string, object?> { ["field"] = "body" }),
        _ => Task.CompletedTask,
    };

    private static Task WriteBadRequestAsync(HttpContext context, BadHttpRequestException ex)
    {
        if (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Envelope.WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, "request body is larger than Agent:Limits:MaxRequestBodyBytes allows");
        }

        if (ex.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return Envelope.WriteErrorAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidRequest, "the body must be JSON with Content-Type: application/json",
                new Dictionary<string, object?> { ["field"] = "Content-Type" });
        }

        if (ex.InnerException is JsonException json)
        {
            var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "body" : json.Path.TrimStart('$', '.');
            var reason = json.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0];
            return Envelope.WriteErrorAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidRequest, $"invalid JSON at '{field}': {reason}",
                new Dictionary<string, object?> { ["field"] = field });
        }

        var message = ex.Message.Contains("body", StringComparison.OrdinalIgnoreCase) ? "a JSON request body is required" : ex.Message;
        return Envelope.WriteErrorAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidRequest, message, new Dictionary<string, object?> { ["field"] = "body" });
    }

    [LoggerMessage(EventId = 1006, Message = "{Method} {Path} answered {StatusCode} in {ElapsedMs} ms")]
    private static partial void LogRequest(ILogger logger, LogLevel level, string method, string path, int statusCode, long elapsedMs);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Refused request from {Address} to {Path}: no client certificate")]
    private static partial void LogNoIdentity(ILogger logger, string address, string path);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Package manager failed in {Method} {Path}")]
    private static partial void LogPackageManagerFailed(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
