using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;
using Scalar.AspNetCore;

namespace PatchPortal.Agent.Api;

/// <summary>
/// The agent's OpenAPI document (<c>/openapi/v1.json</c>) and its readable page (<c>/scalar</c>), both behind the same
/// mTLS and allow-lists as the API. The document describes the wire contract: every answer is the envelope, errors
/// carry the contract's codes with the statuses <c>AGENT_API.md</c> gives them.
/// </summary>
public static class AgentOpenApi
{
    public const string DocumentName = "v1";
    public const string DocumentPattern = "/openapi/{documentName}.json";
    public const string DocumentPath = "/openapi/v1.json";
    public const string PagePath = "/scalar";

    /// <summary>Statuses any request can meet whatever the endpoint: no client identity, rate limit, a bug, the request timeout.</summary>
    private static readonly Dictionary<int, string> CommonErrors = new()
    {
        [StatusCodes.Status401Unauthorized] = "AUTH_INVALID_CERT: no verified client certificate on the allow-list (only reachable when anonymous health is on; otherwise the TLS handshake fails)",
        [StatusCodes.Status429TooManyRequests] = "RATE_LIMIT_EXCEEDED: more than Agent:Limits:RequestsPerMinute from this client; details.retry_after_seconds and Retry-After say when to try again",
        [StatusCodes.Status500InternalServerError] = "INTERNAL_ERROR or PKG_MANAGER_ERROR: see the agent's log for the request id",
        [StatusCodes.Status503ServiceUnavailable] = "SERVICE_UNHEALTHY: the request took longer than Agent:Limits:RequestTimeoutSeconds, or the agent is unhealthy",
    };

    private static readonly Dictionary<int, string> StatusDescriptions = new()
    {
        [StatusCodes.Status200OK] = "OK: the envelope with success true and the data",
        [StatusCodes.Status202Accepted] = "Accepted: a job was queued; follow it with GET /api/v1/jobs/{id} or the job stream",
        [StatusCodes.Status400BadRequest] = "INVALID_REQUEST naming the field in details.field",
        [StatusCodes.Status404NotFound] = "Not found (PKG_NOT_FOUND, PATCH_NOT_FOUND, JOB_NOT_FOUND or SERVICE_NOT_FOUND)",
        [StatusCodes.Status409Conflict] = "JOB_CONFLICT: the request conflicts with the agent's state (details.reason)",
        [StatusCodes.Status413PayloadTooLarge] = "PAYLOAD_TOO_LARGE: the body is larger than Agent:Limits:MaxRequestBodyBytes",
    };

    /// <summary>Well-known query parameters: bound as text so a bad value answers INVALID_REQUEST, documented as what they hold.</summary>
    private static readonly Dictionary<string, Func<OpenApiSchema>> QuerySchemas = new(StringComparer.Ordinal)
    {
        ["limit"] = () => new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = QueryParsing.MaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), Default = JsonValue.Create(QueryParsing.DefaultLimit) },
        ["offset"] = () => new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0", Default = JsonValue.Create(0) },
        ["order"] = () => Enum("asc", "desc"),
        ["purge"] = () => new OpenApiSchema { Type = JsonSchemaType.Boolean, Default = JsonValue.Create(false) },
        ["force"] = () => new OpenApiSchema { Type = JsonSchemaType.Boolean, Default = JsonValue.Create(false) },
    };

    public static WebApplicationBuilder AddAgentOpenApi(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOpenApi(DocumentName, options =>
        {
            options.CreateSchemaReferenceId = type => SchemaName(type.Type) ?? OpenApiOptions.CreateDefaultSchemaReferenceId(type);
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "PatchPortal agent API",
                    Version = "v1",
                    Description = "The agent's wire contract (Linux Patch API v1 with extensions). HTTPS only with a client certificate "
                        + "chained to the configured CA and listed in Agent:AllowedClients, from a source address in Agent:AllowedNetworks. "
                        + "Every answer is the envelope {success, request_id, timestamp, data, error}; send X-Request-Id to have your "
                        + "own id echoed, logged and kept on the jobs the request starts.",
                };
                document.Servers = [];
                AddJobStream(document);
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                DescribeQuery(operation, context);
                DescribeRequestId(operation);
                DescribeResponses(operation);
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    /// <summary>Maps the document and the Scalar page; both pass the same guard as every other path.</summary>
    public static WebApplication MapAgentOpenApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapOpenApi(DocumentPattern);
        app.MapScalarApiReference(PagePath, options => options
            .WithTitle("PatchPortal agent API")
            .WithOpenApiRoutePattern(DocumentPattern)
            .AddDocument(DocumentName));
        return app;
    }

    /// <summary>Declares the envelope the endpoint answers with on success, carrying <typeparamref name="T"/> as data.</summary>
    public static RouteHandlerBuilder Answers<T>(this RouteHandlerBuilder builder, int status = StatusCodes.Status200OK)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Produces<ApiEnvelope<T>>(status, "application/json");
    }

    /// <summary>Declares the error envelopes the endpoint answers with, besides the ones every request can meet.</summary>
    public static RouteHandlerBuilder Refuses(this RouteHandlerBuilder builder, params int[] statuses)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(statuses);
        foreach (var status in statuses)
        {
            builder.Produces<ApiEnvelope<object>>(status, "application/json");
        }

        return builder;
    }

    /// <summary>Documents the values a text query parameter accepts (it is bound as text so a bad value answers INVALID_REQUEST).</summary>
    public static RouteHandlerBuilder WithQueryValues(this RouteHandlerBuilder builder, string name, IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithMetadata(new QueryParameterDoc(name, $"one of: {string.Join(", ", values)}", values));
    }

    public static RouteHandlerBuilder WithQueryDescription(this RouteHandlerBuilder builder, string name, string description)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithMetadata(new QueryParameterDoc(name, description, null));
    }

    private static string? SchemaName(Type type)
    {
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(ApiEnvelope<>))
        {
            return null;
        }

        var data = type.GetGenericArguments()[0];
        return data == typeof(object) ? "ErrorEnvelope" : data.Name + "Envelope";
    }

    private static OpenApiSchema Enum(params string[] values) => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))],
    };

    private static void DescribeQuery(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        if (operation.Parameters is null)
        {
            return;
        }

        var docs = context.Description.ActionDescriptor.EndpointMetadata.OfType<QueryParameterDoc>().ToDictionary(d => d.Name, StringComparer.Ordinal);
        foreach (var parameter in operation.Parameters.OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Query && p.Name is not null))
        {
            if (QuerySchemas.TryGetValue(parameter.Name!, out var schema))
            {
                parameter.Schema = schema();
            }

            if (docs.TryGetValue(parameter.Name!, out var doc))
            {
                parameter.Description = doc.Description;
                if (doc.Values is { } values)
                {
                    parameter.Schema = Enum([.. values]);
                }
            }
        }
    }

    /// <summary>Endpoint metadata read by the operation transformer: what a query parameter holds.</summary>
    private sealed record QueryParameterDoc(string Name, string Description, IReadOnlyList<string>? Values);

    private static void DescribeRequestId(OpenApiOperation operation)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = "X-Request-Id",
            In = ParameterLocation.Header,
            Required = false,
            Description = "Your id for this request: echoed as request_id and in the X-Request-Id header, in the agent's log lines "
                + "and on the jobs it starts. Up to 128 of A-Z a-z 0-9 . _ : -; anything else is replaced by a fresh id.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 128, Pattern = "^[A-Za-z0-9._:-]{1,128}$" },
        });
    }

    private static void DescribeResponses(OpenApiOperation operation)
    {
        operation.Responses ??= [];
        foreach (var (status, description) in CommonErrors)
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!operation.Responses.ContainsKey(key))
            {
                operation.Responses[key] = new OpenApiResponse
                {
                    Description = description,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = new OpenApiSchemaReference("ErrorEnvelope") },
                    },
                };
            }
        }

        foreach (var (key, response) in operation.Responses)
        {
            if (response is OpenApiResponse concrete)
            {
                if (int.TryParse(key, out var status) && (StatusDescriptions.TryGetValue(status, out var text) || CommonErrors.TryGetValue(status, out text)))
                {
                    concrete.Description = text;
                }

                concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
                concrete.Headers["X-Request-Id"] = new OpenApiHeader
                {
                    Description = "The request's id (yours if it was well-formed), also in the envelope's request_id",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
            }
        }
    }

    /// <summary>The WebSocket endpoint has no HTTP method of its own (HTTP/2 WebSockets arrive as CONNECT), so it is described by hand.</summary>
    private static void AddJobStream(OpenApiDocument document)
    {
        document.Paths ??= [];
        var operation = new OpenApiOperation
        {
            OperationId = "JobsWebSocket",
            Summary = "Job stream (WebSocket)",
            Description = "Upgrade to a WebSocket. Client messages (tag `type` or `action`): subscribe {job_id} (without job_id: all jobs), "
                + "unsubscribe {job_id}, subscribe_all, ping. Server messages {type, payload}: job_status {job_id, status, "
                + "progress_percent, message, updated_at}, job_log {job_id, line}, job_complete (the job detail), pong, error.",
            Tags = new HashSet<OpenApiTagReference> { new("Jobs", document) },
            Responses = new OpenApiResponses
            {
                ["101"] = new OpenApiResponse { Description = "Switching Protocols: the job stream is open" },
                ["400"] = new OpenApiResponse { Description = "Not a WebSocket request" },
            },
        };
        DescribeRequestId(operation);
        DescribeResponses(operation);
        document.Paths[JobsWebSocket.Path] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Get] = operation },
        };
    }
}
