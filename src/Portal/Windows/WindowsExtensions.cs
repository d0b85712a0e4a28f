using Microsoft.Extensions.DependencyInjection.Extensions;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Windows;

internal static class WindowsExtensions
{
    /// <summary>Maintenance windows, blackouts, the calendar and its iCalendar feeds.</summary>
    public static IHostApplicationBuilder AddWindows(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IMaintenanceSchedule, MaintenanceSchedule>();
        builder.Services.AddSingleton<IBlackoutCalendar, BlackoutCalendar>();
        builder.Services.AddEventHub<CalendarChangeHub>();
        builder.Services.AddScoped<WindowCatalog>();
        builder.Services.AddScoped<BlackoutCatalog>();
        builder.Services.AddScoped<CalendarQuery>();
        builder.Services.AddSingleton<CalendarFeed>();
        builder.Services.AddSingleton<CalendarFeedTokens>();
        return builder;
    }
}
