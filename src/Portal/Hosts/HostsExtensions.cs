using Microsoft.Extensions.DependencyInjection.Extensions;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Hosts;

internal static class HostsExtensions
{
    /// <summary>
    /// The host catalog, its options and the host event hub. Enrolment (<see cref="IHostEnrollment"/>) and refresh
    /// scheduling are registered by their own features; the catalog uses them when present.
    /// </summary>
    public static IHostApplicationBuilder AddHosts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HostsOptions>().BindConfiguration(HostsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddEventHub<HostEventHub>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        // Scoped (one per circuit) so it can use enrolment and refresh services of any lifetime.
        builder.Services.AddScoped<HostCatalog>();
        return builder;
    }
}
