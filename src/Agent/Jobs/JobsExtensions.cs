using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Machine;

namespace PatchPortal.Agent.Jobs;

/// <summary>Registers the jobs feature and maps its WebSocket stream.</summary>
public static class JobsExtensions
{
    /// <summary>
    /// Registers the job store, manager, event hub, worker and their options. The package backend
    /// (<see cref="Packages.IPackageManager"/>) is registered by the packages feature. WebSockets are switched on here
    /// too (a startup filter adds <c>UseWebSockets</c> for the stream's path, with the keep-alive of <see cref="JobsWebSocketOptions"/>), so
    /// Program.cs needs only <c>app.MapJobsWebSocket()</c>; an extra <c>app.UseWebSockets()</c> there does no harm.
    /// </summary>
    public static WebApplicationBuilder AddJobs(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        // Bind once: binding the section twice would append the configured Reboot:Command to the list again.
        if (!services.Any(descriptor => descriptor.ServiceType == typeof(IConfigureOptions<AgentOptions>)))
        {
            AgentOptionsAnnotations.BindAgentOptions(services);
        }

        services.AddOptions<AgentOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentOptions>, JobOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ICommandRunner, CommandRunner>();
        services.TryAddSingleton<JobStore>();
        services.TryAddSingleton<JobEventHub>();
        services.TryAddSingleton<JobManager>();
        services.TryAddSingleton<IJobManager>(provider => provider.GetRequiredService<JobManager>());
        services.AddHostedService<JobWorker>();

        services.AddOptions<JobsWebSocketOptions>();
        services.AddOptions<WebSocketOptions>().Configure<IOptions<JobsWebSocketOptions>>((webSockets, jobs) =>
        {
            webSockets.KeepAliveInterval = jobs.Value.KeepAliveInterval;
            webSockets.KeepAliveTimeout = jobs.Value.KeepAliveTimeout;
        });
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, WebSocketsStartupFilter>());
        return builder;
    }

    /// <summary>Maps <c>/api/v1/ws/jobs</c>, the live job stream.</summary>
    public static IEndpointRouteBuilder MapJobsWebSocket(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Map, not MapGet: WebSockets over HTTP/2 arrive as CONNECT. A stream lives long, so no request timeout applies.
        app.Map(JobsWebSocket.Path, JobsWebSocket.HandleAsync)
            .WithMetadata(new DisableRequestTimeoutAttribute())
            .WithName("JobsWebSocket");
        return app;
    }

    /// <summary>
    /// Puts the WebSocket middleware first in the pipeline, so the endpoint works whatever Program.cs adds; only on the
    /// stream's path, because the middleware prepares an upgrade feature for every request it sees.
    /// </summary>
    private sealed class WebSocketsStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseWhen(context => context.Request.Path.StartsWithSegments(JobsWebSocket.Path, StringComparison.OrdinalIgnoreCase), stream => stream.UseWebSockets());
            next(app);
        };
    }

}
