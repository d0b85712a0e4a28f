namespace PatchPortal.Portal.Dashboard;

internal static class DashboardExtensions
{
    public static IHostApplicationBuilder AddPortalDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<FleetSummary>();
        return builder;
    }
}
