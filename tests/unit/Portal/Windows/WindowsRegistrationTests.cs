using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Tests.Unit.Portal.Windows;

public sealed class WindowsRegistrationTests
{
    [Fact]
    public void AddWindows_RegistersScheduleAndBlackoutCalendarAsSingletons()
    {
        var builder = Host.CreateApplicationBuilder();

        builder.AddWindows();

        Assert.Contains(builder.Services, d => d.ServiceType == typeof(IMaintenanceSchedule)
            && d.ImplementationType == typeof(MaintenanceSchedule) && d.Lifetime == ServiceLifetime.Singleton);
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(IBlackoutCalendar)
            && d.ImplementationType == typeof(BlackoutCalendar) && d.Lifetime == ServiceLifetime.Singleton);
    }
}
