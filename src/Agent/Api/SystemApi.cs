using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;
using PatchPortal.Agent.Machine;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Agent.Api;

public static class SystemApi
{
    public const int DefaultRebootDelaySeconds = 60;
    public const int MaxReasonLength = 500;

    public static IEndpointRouteBuilder MapSystemApi(this IEndpointRouteBuilder app)
    {
        // The monitor is a singleton, taken once here: a probe's request then needs no service scope (polled often, it
        // is the agent's most frequent request). It bounds its own wait for the package checks (HealthMonitor.CheckTimeout,
        // answered as a failed check), so probes skip the request timeout and its per-request timer.
        var monitor = app.ServiceProvider.GetRequiredService<HealthMonitor>();
        app.MapGet("/health", (CancellationToken cancellationToken) => HealthAsync(monitor, cancellationToken))
            .WithTags("System").WithName("Health").WithSummary("Liveness and checks")
            .Answers<HealthResponse>().Refuses(StatusCodes.Status503ServiceUnavailable).DisableRequestTimeout();
        app.MapGet("/api/v1/health", (CancellationToken cancellationToken) => HealthAsync(monitor, cancellationToken)).WithTags("System").WithName("ApiHealth").WithSummary("Liveness and checks (same as /health)")
            .Answers<HealthResponse>().Refuses(StatusCodes.Status503ServiceUnavailable).DisableRequestTimeout();

        var group = app.MapGroup("/api/v1/system").WithTags("System");
        group.MapGet("/info", InfoAsync).WithName("SystemInfo").WithSummary("Host, OS, kernel, uptime, package manager")
            .Answers<SystemInfoDto>();
        group.MapPost("/reboot", RebootAsync).WithName("Reboot").WithSummary("Schedule a reboot (a job)")
            .Answers<JobAccepted>(StatusCodes.Status202Accepted).Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge);
        group.MapGet("/services/{name}", ServiceAsync).WithName("ServiceStatus").WithSummary("One systemd unit's state")
            .Answers<ServiceStatusDto>().Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> HealthAsync(HealthMonitor health, CancellationToken cancellationToken)
    {
        var report = await health.CheckAsync(cancellationToken);
        return report.Status == "unhealthy"
            ? Envelope.Error(StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnhealthy, "the agent is unhealthy",
                new Dictionary<string, object?> { ["health"] = report }, retryable: true)
            : Envelope.Ok(report);
    }

    private static async Task<IResult> InfoAsync(SystemInfoProvider system, IPackageManager packages, HealthMonitor health, CancellationToken cancellationToken) =>
        Envelope.Ok(system.Read(packages.Name, await health.RebootRequiredAsync(cancellationToken)));

    private static async Task<IResult> RebootAsync(RebootRequest? request, IJobManager jobs, IPackageManager packages, TimeProvider time, HttpContext context, CancellationToken cancellationToken)
    {
        request ??= new RebootRequest();
        if (Idempotency.Answer(context, jobs, JobOperations.Reboot, out var key) is { } answered)
        {
            return answered;
        }

        var delay = request.DelaySeconds ?? DefaultRebootDelaySeconds;
        if (delay is < 0 or > 24 * 3600)
        {
            return Envelope.Invalid("delay_seconds", "delay_seconds must be from 0 to 86400");
        }

        if (request.Reason is { } reason && (reason.Length > MaxReasonLength || reason.Any(char.IsControl)))
        {
            return Envelope.Invalid("reason", $"reason must be at most {MaxReasonLength} characters without control characters");
        }

        if (jobs.HasActivePackageJob && !request.Force)
        {
            return Envelope.Error(StatusCodes.Status409Conflict, ErrorCodes.JobConflict, "a package job is pending or running; wait for it or send force: true",
                new Dictionary<string, object?> { ["reason"] = "package_job_active" });
        }

        if (!request.AcknowledgePackageDatabaseCorruptionRisk)
        {
            var database = await packages.CheckDatabaseAsync(cancellationToken);
            if (!database.Consistent)
            {
                return Envelope.Error(StatusCodes.Status409Conflict, ErrorCodes.JobConflict,
                    "the package database is inconsistent; repair it first or send acknowledge_package_database_corruption_risk: true",
                    new Dictionary<string, object?> { ["reason"] = "package_database_inconsistent", ["problem"] = database.Problem });
            }
        }

        var scheduledAt = time.GetUtcNow().AddSeconds(delay);
        var jobRequest = new JobRequest(JobOperations.Reboot, null)
        {
            ScheduledAt = scheduledAt,
            RebootDelay = TimeSpan.FromSeconds(delay),
            Reason = request.Reason,
            RequestedBy = RequestGuardMiddleware.ClientIdentity(context),
            RequestId = Envelope.RequestId(context),
            IdempotencyKey = key,
        };
        return Envelope.Accepted(jobs.Submit(jobRequest).ToAccepted(jobRequest));
    }

    private static async Task<IResult> ServiceAsync(string name, ServiceStatusReader services, CancellationToken cancellationToken)
    {
        if (!ServiceStatusReader.IsValidUnitName(name))
        {
            return Envelope.Invalid("name", "name must be a systemd unit name (letters, digits and : _ . @ \\ -, not starting with '-')");
        }

        var (lookup, status, problem) = await services.ReadAsync(name, cancellationToken);
        return lookup switch
        {
            ServiceLookup.Found => Envelope.Ok(status),
            ServiceLookup.NotFound => Envelope.NotFound(ErrorCodes.ServiceNotFound, $"no systemd unit '{name}'", "service", name),
            _ => Envelope.Error(StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnhealthy, $"systemd cannot be asked on this host: {problem}", retryable: false),
        };
    }
}
