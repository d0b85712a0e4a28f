using System.Text.Json;
using Hangfire;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PatchPortal.Portal.Data;
using Prometheus;

namespace PatchPortal.Portal.Operations;

/// <summary>
/// What monitoring needs: <c>/healthz</c> (the process answers), <c>/readyz</c> (database and Hangfire usable) and
/// <c>/metrics</c> (Prometheus: requests by route, fleet, runs, job queues). None of them needs a sign-in, and none
/// says more than counts; restrict them at the reverse proxy if even that is too much.
/// </summary>
public static class OperationsExtensions
{
    private const string Ready = "ready";

    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [Ready])
            .AddCheck<HangfireHealthCheck>("hangfire", tags: [Ready]);
        builder.Services.AddSingleton<PortalMetrics>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PortalMetrics>());
        return builder;
    }

    /// <summary>Request metrics by route; call after routing so the route template, not the raw path, is the label.</summary>
    public static WebApplication UseRequestMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseHttpMetrics(options => options.ReduceStatusCodeCardinality());
        return app;
    }

    public static WebApplication MapOperations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteAsync }).AllowAnonymous();
        app.MapMetrics("/metrics").AllowAnonymous();
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            duration_ms = (int)report.TotalDuration.TotalMilliseconds,
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                duration_ms = (int)e.Value.Duration.TotalMilliseconds,
            }),
        }, cancellationToken: context.RequestAborted);
    }
}

/// <summary>Ready when the database answers and has no migration left to apply.</summary>
public sealed class DatabaseHealthCheck(IDbContextFactory<PortalDbContext> factory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            if (!await db.Database.CanConnectAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy("the database does not answer (or, for SQLite, its file does not exist)");
            }

            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
            return pending == 0
                ? HealthCheckResult.Healthy($"{db.Database.ProviderName}, schema up to date")
                : HealthCheckResult.Unhealthy($"{pending} migration(s) not applied yet");
        }
        catch (Exception ex) when (ex is InvalidOperationException or DbUpdateException or System.Data.Common.DbException)
        {
            return HealthCheckResult.Unhealthy("the database failed: " + ex.Message);
        }
    }
}

/// <summary>Ready when Hangfire's storage answers and this node's job server has sent a heartbeat recently.</summary>
internal sealed class HangfireHealthCheck(JobStorage storage, TimeProvider time) : IHealthCheck
{
    private static readonly TimeSpan Stale = TimeSpan.FromMinutes(2);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var now = time.GetUtcNow().UtcDateTime;
            var servers = storage.GetMonitoringApi().Servers();
            var alive = servers.Count(s => s.Heartbeat is { } beat && now - beat < Stale);
            return Task.FromResult(alive > 0
                ? HealthCheckResult.Healthy($"{alive} job server(s) alive")
                : HealthCheckResult.Unhealthy("no Hangfire job server has sent a heartbeat in the last 2 minutes"));
        }
#pragma warning disable CA1031 // Any storage failure means "not ready"; the reason is reported, not thrown.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Hangfire storage failed: " + ex.Message));
        }
    }
}
