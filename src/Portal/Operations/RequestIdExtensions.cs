using Hangfire;
using Hangfire.Client;
using Hangfire.Server;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;
using PatchPortal.Agent.Contracts;

namespace PatchPortal.Portal.Operations;

/// <summary>
/// The id of the request or operation the current code works for, so one change can be followed through the portal's
/// log, its background jobs and the agents it calls (which keep it on their jobs). Set for each HTTP request (the
/// caller's well-formed <c>X-Request-Id</c>, or a fresh one), for each interaction of a Blazor circuit, and for each
/// Hangfire job (the id of whatever enqueued it, so a run started by an approval carries the approval's id).
/// </summary>
public static class RequestContext
{
    private static readonly AsyncLocal<string?> Id = new();

    private static readonly Func<ILogger, string, IDisposable?> Scope = LoggerMessage.DefineScope<string>("Request {RequestId}");

    /// <summary>The current id, or null outside any request, interaction or job.</summary>
    public static string? CurrentId => Id.Value;

    /// <summary>The current id, or a fresh one for work that runs outside all of them.</summary>
    public static string CurrentOrNew() => Id.Value ?? RequestIds.New();

    /// <summary>Makes <paramref name="requestId"/> current (and puts it in the log scope) until the result is disposed.</summary>
    public static IDisposable Begin(ILogger logger, string requestId)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var previous = Id.Value;
        Id.Value = requestId;
        return new Restore(previous, Scope(logger, requestId));
    }

    private sealed class Restore(string? previous, IDisposable? scope) : IDisposable
    {
        public void Dispose()
        {
            scope?.Dispose();
            Id.Value = previous;
        }
    }
}

public static class RequestIdExtensions
{
    /// <summary>Log scopes in the console output (they carry the request id), and ids for circuit interactions.</summary>
    public static WebApplicationBuilder AddRequestIds(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Logging:Console:FormatterOptions:IncludeScopes=false turns the scopes off again.
        if (builder.Configuration["Logging:Console:FormatterOptions:IncludeScopes"] is null)
        {
            builder.Services.Configure<SimpleConsoleFormatterOptions>(o => o.IncludeScopes = true);
            builder.Services.Configure<JsonConsoleFormatterOptions>(o => o.IncludeScopes = true);
            builder.Services.Configure<ConsoleFormatterOptions>(o => o.IncludeScopes = true);

            // Without a formatter name the console logger copies its legacy options (IncludeScopes false) over the
            // formatter's; naming the default formatter keeps the options above. Systemd's choice (made earlier) stays.
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName ??= ConsoleFormatterNames.Simple);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Scoped<CircuitHandler, RequestIdCircuitHandler>());
        return builder;
    }

    /// <summary>
    /// First in the pipeline: gives the request its id (the caller's well-formed X-Request-Id or a fresh one), echoes it,
    /// makes it <see cref="HttpContext.TraceIdentifier"/> (so audit entries and problem details carry it) and current for
    /// the request's log lines; and hands ids on to Hangfire jobs.
    /// </summary>
    public static WebApplication UseRequestIds(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RequestContext));
        if (!GlobalJobFilters.Filters.Any(f => f.Instance is RequestIdJobFilter))
        {
            GlobalJobFilters.Filters.Add(new RequestIdJobFilter(logger));
        }

        app.Use(async (context, next) =>
        {
            var incoming = context.Request.Headers[RequestIds.Header];
            var requestId = incoming.Count == 1 ? RequestIds.From(incoming[0]) : RequestIds.New();
            context.TraceIdentifier = requestId;
            context.Response.Headers[RequestIds.Header] = requestId;
            using (RequestContext.Begin(logger, requestId))
            {
                await next(context);
            }
        });
        return app;
    }
}

/// <summary>Each interaction of a circuit (an event, a JS callback) works under an id of its own.</summary>
internal sealed class RequestIdCircuitHandler(ILogger<RequestIdCircuitHandler> logger) : CircuitHandler
{
    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
        async context =>
        {
            using (RequestContext.Begin(logger, RequestIds.New()))
            {
                await next(context);
            }
        };
}

/// <summary>
/// A job created while an id is current carries it as a parameter (kept across retries); a job runs under that id, or
/// under a fresh one when nothing enqueued it (recurring jobs).
/// </summary>
internal sealed class RequestIdJobFilter(ILogger logger) : IClientFilter, IServerFilter
{
    public const string Parameter = "RequestId";
    private const string ScopeItem = "patchportal.request-scope";

    public void OnCreating(CreatingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (RequestContext.CurrentId is { } id)
        {
            context.SetJobParameter(Parameter, id);
        }
    }

    public void OnCreated(CreatedContext context)
    {
    }

    public void OnPerforming(PerformingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var stored = context.GetJobParameter<string>(Parameter);
        context.Items[ScopeItem] = RequestContext.Begin(logger, RequestIds.IsWellFormed(stored) ? stored : RequestIds.New());
    }

    public void OnPerformed(PerformedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items.TryGetValue(ScopeItem, out var scope))
        {
            (scope as IDisposable)?.Dispose();
            context.Items.Remove(ScopeItem);
        }
    }
}
