using System.Text.Json;
using PatchPortal.Agent.Contracts;

namespace PatchPortal.Agent.Api;

/// <summary>The one writer of the agent's response envelope, used by endpoints and by middleware alike.</summary>
public static class Envelope
{
    private const string RequestIdItem = "patch-agent.request-id";

    /// <summary>The wire options' writer settings (the serializer takes them from the writer it is given).</summary>
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = Json.AgentWireJson.Options.Encoder,
        Indented = Json.AgentWireJson.Options.WriteIndented,
        MaxDepth = Json.AgentWireJson.Options.MaxDepth,
        SkipValidation = true,
    };

    public static string RequestId(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items[RequestIdItem] is string id)
        {
            return id;
        }

        id = Guid.NewGuid().ToString();
        context.Items[RequestIdItem] = id;
        return id;
    }

    public static void SetRequestId(HttpContext context, string requestId)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Items[RequestIdItem] = requestId;
    }

    public static IResult Ok<T>(T data) => new EnvelopeResult<T>(StatusCodes.Status200OK, data, null);

    public static IResult Accepted<T>(T data) => new EnvelopeResult<T>(StatusCodes.Status202Accepted, data, null);

    public static IResult Error(int status, string code, string message, IReadOnlyDictionary<string, object?>? details = null, bool retryable = false) =>
        new EnvelopeResult<object>(status, null, new ApiError(code, message, details ?? new Dictionary<string, object?>(), retryable));

    /// <summary>400 INVALID_REQUEST naming the offending field.</summary>
    public static IResult Invalid(string field, string message) =>
        Error(StatusCodes.Status400BadRequest, ErrorCodes.InvalidRequest, message, new Dictionary<string, object?> { ["field"] = field });

    public static IResult Invalid(ValidationFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return Invalid(failure.Field, failure.Message);
    }

    public static IResult NotFound(string code, string message, string field, string value) =>
        Error(StatusCodes.Status404NotFound, code, message, new Dictionary<string, object?> { [field] = value });

    /// <summary>
    /// Writes the envelope with a Content-Length, in one write: serialised into a pooled buffer first (a streamed answer
    /// would go out chunked, in as many TLS records as the serializer flushes).
    /// </summary>
    public static async Task WriteAsync<T>(HttpContext context, int status, T? data, ApiError? error)
    {
        ArgumentNullException.ThrowIfNull(context);
        var envelope = new ApiEnvelope<T>
        {
            Success = error is null,
            RequestId = RequestId(context),
            Timestamp = DateTimeOffset.UtcNow,
            Data = data,
            Error = error,
        };
        using var body = new PooledBufferWriter();
        using (var writer = new Utf8JsonWriter(body, WriterOptions))
        {
            JsonSerializer.Serialize(writer, envelope, Json.AgentWireJson.TypeInfo<ApiEnvelope<T>>());
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = body.WrittenMemory.Length;
        await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext context, int status, string code, string message, IReadOnlyDictionary<string, object?>? details = null, bool retryable = false) =>
        WriteAsync<object>(context, status, null, new ApiError(code, message, details ?? new Dictionary<string, object?>(), retryable));

    private sealed class EnvelopeResult<T>(int status, T? data, ApiError? error) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, status, data, error);
    }
}

/// <summary>A field that breaks the input rules, and why.</summary>
public sealed record ValidationFailure(string Field, string Message);
