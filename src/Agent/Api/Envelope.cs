using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using PatchPortal.Agent.Contracts;

namespace PatchPortal.Agent.Api;

/// <summary>The one writer of the agent's response envelope, used by endpoints and by middleware alike.</summary>
public static class Envelope
{
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The wire options' writer settings (the serializer takes them from the writer it is given).</summary>
    /// <remarks>
    /// The writer escapes only what JSON requires (quotes, backslashes, control characters) and leaves the rest, such as
    /// the <c>+</c> and <c>~</c> of Debian versions, as it is: answers are <c>application/json</c> for API clients, never
    /// embedded in HTML, and the default encoder's escaping took its slow path on nearly every package of a listing.
    /// The serializer options keep no encoder of their own, so the source generator's fast-path writers still apply.
    /// </remarks>
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = Json.AgentWireJson.Options.WriteIndented,
        MaxDepth = Json.AgentWireJson.Options.MaxDepth,
        SkipValidation = true,
    };

    /// <summary>The request's id, as the guard middleware set it (a fresh one when no guard ran).</summary>
    public static string RequestId(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Features.Get<AgentRequestFeature>() is { } request)
        {
            return request.RequestId;
        }

        request = new AgentRequestFeature(RequestIds.New(), client: null);
        context.Features.Set(request);
        return request.RequestId;
    }

    public static IResult Ok<T>(T data) => new EnvelopeResult<T>(StatusCodes.Status200OK, data, null);

    /// <summary><paramref name="value"/> written exactly as an answer would carry it, to be copied into later answers.</summary>
    internal static Json.EncodedJson Encode<T>(T value)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            JsonSerializer.Serialize(writer, value, Json.AgentWireJson.TypeInfo<T>());
        }

        return new Json.EncodedJson(buffer.WrittenSpan.ToArray());
    }

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
        var writer = WriterFor(body);
        JsonSerializer.Serialize(writer, envelope, Json.AgentWireJson.TypeInfo<ApiEnvelope<T>>());

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = body.WrittenMemory.Length;
        await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted);
    }

    /// <summary>
    /// This thread's JSON writer, pointed at <paramref name="body"/>: serialising is synchronous, so one writer per
    /// thread serves every answer (as ASP.NET Core's own JSON results do) instead of one allocated per answer.
    /// </summary>
    private static Utf8JsonWriter WriterFor(PooledBufferWriter body)
    {
        if (t_writer is { } writer)
        {
            writer.Reset(body);
            return writer;
        }

        return t_writer = new Utf8JsonWriter(body, WriterOptions);
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
