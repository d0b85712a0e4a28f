using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Logging.Console;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Machine;
using Prometheus;

namespace PatchPortal.Agent.Api;

public static class AgentApiExtensions
{
    /// <summary>JSON conventions, per-client rate limits, request timeouts and the services the endpoints use.</summary>
    public static WebApplicationBuilder AddAgentApi(this WebApplicationBuilder builder, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);

        builder.Services.ConfigureHttpJsonOptions(json => Json.AgentWireJson.Configure(json.SerializerOptions));

        // /metrics republishes the runtime's and Kestrel's meters (GC, memory, thread pool; connections, TLS
        // handshakes). The per-request meters (hosting, routing) stay out: requests are already counted by route by the
        // HTTP metrics middleware, and translating each of their measurements cost about a tenth of the agent's CPU
        // under load (docs/benchmarks.md).
        Metrics.ConfigureMeterAdapter(adapter => adapter.InstrumentFilterPredicate = PublishedMeter);
        Metrics.DefaultFactory.ExemplarBehavior = ExemplarBehavior.NoExemplars();

        // ASP.NET Core's hosting layer starts an Activity and a log scope for every request whenever its logger is on at
        // any level. The agent logs each request itself (RequestGuardMiddleware, event 1006, in its own scope carrying
        // the request id) and exports no traces, so that logger is off: about a fifth of what /health allocated.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);

        // The framework's own request lines (routing's "Executing endpoint", two per request) repeat what event 1006
        // says; like the packaged agent.json, an agent configured without a Microsoft.AspNetCore level keeps them out.
        if (builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] is null)
        {
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        }

        // Scopes carry the request id (and a running job's id) into every log line, so one change can be followed from
        // the portal into this agent; Logging:Console:FormatterOptions:IncludeScopes=false turns them off.
        if (builder.Configuration["Logging:Console:FormatterOptions:IncludeScopes"] is null)
        {
            builder.Services.Configure<SimpleConsoleFormatterOptions>(o => o.IncludeScopes = true);
            builder.Services.Configure<JsonConsoleFormatterOptions>(o => o.IncludeScopes = true);
            builder.Services.Configure<ConsoleFormatterOptions>(o => o.IncludeScopes = true);

            // Without a formatter name the console logger copies its legacy options (IncludeScopes false) over the
            // formatter's; naming the default formatter keeps the options above. Systemd's choice (made earlier) stays.
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName ??= ConsoleFormatterNames.Simple);
        }

        // Binding failures throw, so the guard middleware answers them as INVALID_REQUEST envelopes naming the field.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SystemInfoProvider>();
        builder.Services.AddSingleton<ServiceStatusReader>();
        builder.Services.AddSingleton<HealthMonitor>();

        builder.Services.AddRequestTimeouts(timeouts =>
        {
            timeouts.DefaultPolicy = new RequestTimeoutPolicy
            {
                Timeout = TimeSpan.FromSeconds(options.Limits.RequestTimeoutSeconds),
                WriteTimeoutResponse = context => Envelope.WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnhealthy,
                    $"the request took longer than Agent:Limits:RequestTimeoutSeconds ({options.Limits.RequestTimeoutSeconds} s)", retryable: true),
            };
        });

        if (options.Limits.RequestsPerMinute > 0)
        {
            var perMinute = options.Limits.RequestsPerMinute;
            builder.Services.AddRateLimiter(limiter =>
            {
                limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    RateLimitPartition.GetTokenBucketLimiter(
                        RequestGuardMiddleware.ClientIdentity(context) ?? context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                        _ => new TokenBucketRateLimiterOptions
                        {
                            TokenLimit = perMinute,
                            TokensPerPeriod = Math.Max(1, perMinute / 60),
                            ReplenishmentPeriod = TimeSpan.FromSeconds(perMinute >= 60 ? 1 : 60.0 / perMinute),
                            QueueLimit = 0,
                            AutoReplenishment = true,
                        }));
                limiter.OnRejected = async (rejected, cancellationToken) =>
                {
                    var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? (int)Math.Ceiling(after.TotalSeconds) : 1;
                    rejected.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    await Envelope.WriteErrorAsync(rejected.HttpContext, StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimitExceeded,
                        $"more than {perMinute} requests a minute from this client",
                        new Dictionary<string, object?> { ["retry_after_seconds"] = retryAfter }, retryable: true);
                };
            });
        }

        return builder;
    }

    /// <summary>The request pipeline: guard (which also answers unmatched routes and methods with envelopes), routing, rate limit, timeouts.</summary>
    public static WebApplication UseAgentApi(this WebApplication app, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);

        app.UseMiddleware<RequestGuardMiddleware>();
        app.UseRouting();
        if (options.Limits.RequestsPerMinute > 0)
        {
            app.UseRateLimiter();
        }

        app.UseRequestTimeouts();
        return app;
    }

    /// <summary>The .NET meters /metrics republishes: the runtime's and Kestrel's (per connection, not per request).</summary>
    internal static bool PublishedMeter(System.Diagnostics.Metrics.Instrument instrument) =>
        instrument?.Meter.Name is "System.Runtime" or "Microsoft.AspNetCore.Server.Kestrel";

    /// <summary>
    /// <c>GET /metrics</c> (ext): Prometheus text, requests by route and jobs by operation, state and duration. It sits
    /// behind the same mTLS and allow-lists as the API: give Prometheus a client certificate listed in AllowedClients.
    /// </summary>
    public static WebApplication MapAgentMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapMetrics("/metrics");
        return app;
    }
}
