using Hangfire;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Runs;

internal static class RunsExtensions
{
    /// <summary>
    /// Runs: the scheduler the plans feature hands approved plans to, the run engine (Hangfire jobs on their own
    /// queue and workers, so a long run never starves inventory polls) and the live run hub.
    /// Needs Hangfire's storage (<c>AddInventory</c>) and the maintenance schedule (<c>AddWindows</c>).
    /// </summary>
    public static IHostApplicationBuilder AddRuns(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RunsOptions>().BindConfiguration(RunsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var runs = builder.Configuration.GetSection(RunsOptions.Section).Get<RunsOptions>() ?? new RunsOptions();
        var node = PortalOptions.NodeNameOf(builder.Configuration);
        services.AddHangfireServer(o =>
        {
            o.ServerName = $"{node}:runs";
            o.WorkerCount = runs.ConcurrentRuns;
            o.Queues = [RunsOptions.Queue];
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddEventHub<RunEventHub>();
        // Scoped: it may use schedule and calendar services of any lifetime; Hangfire resolves jobs in a scope too.
        services.AddScoped<RunScheduler>();
        services.AddScoped<IRunScheduler>(sp => sp.GetRequiredService<RunScheduler>());
        services.TryAddSingleton(_ => new PortalNode(node, Guid.NewGuid().ToString("N")));
        services.AddSingleton<RunSignals>();
        services.AddSingleton<RunLease>();
        services.AddSingleton<HostPatcher>();
        services.AddTransient<RunExecutor>();
        services.AddTransient<RunWatchdog>();
        services.AddTransient<HostRollbackJob>();
        services.AddScoped<RunControl>();
        services.AddSingleton<RunQuery>();
        services.AddHostedService<RunRecovery>();
        return builder;
    }
}
