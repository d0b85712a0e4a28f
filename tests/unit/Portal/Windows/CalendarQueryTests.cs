using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Portal.Windows;
using static PatchPortal.Tests.Unit.Portal.Windows.WindowTestData;

namespace PatchPortal.Tests.Unit.Portal.Windows;

/// <summary>What the occurrence dialog lists: the hosts the window targets and the plans scheduled into that occurrence.</summary>
public sealed class CalendarQueryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Occurrence = Utc(2027, 3, 21, 1, 30);
    private static readonly DateTimeOffset Following = Utc(2027, 3, 28, 1, 30);
    private readonly FakeTimeProvider _time = new(Utc(2027, 3, 1, 12));
    private PortalTestHost _host = default!;
    private CalendarQuery _query = default!;
    private Guid _window;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(addFeatures: b => b.AddWindows(), services: s => s.AddSingleton<TimeProvider>(_time));
        _query = _host.GetScoped<CalendarQuery>();
        Guid web;
        await using (var db = _host.CreateDbContext())
        {
            var group = new HostGroup { Name = "web" };
            var web01 = new ManagedHost { Name = "web01", Address = "10.0.0.1" };
            web01.Groups.Add(group);
            db.AddRange(group, web01, new ManagedHost { Name = "db01", Address = "10.0.0.2" });
            await db.SaveChangesAsync();
            web = group.Id;
        }

        var created = await _host.GetScoped<WindowCatalog>().CreateAsync(
            Input(start: new DateTime(2027, 3, 21, 2, 30, 0), targets: new TargetSet([web], [], [])), new Actor("op", null), CancellationToken.None);
        _window = created.Id!.Value;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<Guid> AddPlanAsync(string name, PlanTiming timing, DateTimeOffset? occurrenceStart = null, bool withRun = false)
    {
        await using var db = _host.CreateDbContext();
        var plan = new PatchPlan { Name = name, RequestedBy = "op", Timing = timing, WindowId = _window, OccurrenceStart = occurrenceStart };
        db.PatchPlans.Add(plan);
        if (withRun)
        {
            db.PatchRuns.Add(new PatchRun { PlanId = plan.Id, OccurrenceStart = Occurrence, OccurrenceEnd = Occurrence.AddHours(2), CutoffAt = Occurrence.AddMinutes(90) });
        }

        await db.SaveChangesAsync();
        return plan.Id;
    }

    [Fact]
    public async Task GetOccurrenceAsync_ListsTargetedHosts_WhenWindowTargetsGroup()
    {
        var details = await _query.GetOccurrenceAsync(_window, Occurrence, CancellationToken.None);

        Assert.NotNull(details);
        Assert.Equal(["web01"], details.Hosts.Select(h => h.Name));
    }

    [Fact]
    public async Task GetOccurrenceAsync_ListsPlansScheduledIntoOccurrence_WhenTimingOrStartOrRunMatches()
    {
        await AddPlanAsync("every", PlanTiming.EveryOccurrence);
        await AddPlanAsync("next", PlanTiming.NextOccurrence);
        await AddPlanAsync("this one", PlanTiming.Occurrence, Occurrence);
        await AddPlanAsync("other one", PlanTiming.Occurrence, Following);
        await AddPlanAsync("next pinned elsewhere", PlanTiming.NextOccurrence, Following);
        await AddPlanAsync("ran here", PlanTiming.Now, withRun: true);

        var details = await _query.GetOccurrenceAsync(_window, Occurrence, CancellationToken.None);

        Assert.Equal(["every", "next", "ran here", "this one"], details!.Plans.Select(p => p.Name));
        Assert.True(details.Plans.Single(p => p.Name == "ran here").HasRun);
    }

    [Fact]
    public async Task GetOccurrenceAsync_ReturnsNull_WhenNoOccurrenceStartsThen()
    {
        Assert.Null(await _query.GetOccurrenceAsync(_window, Occurrence.AddMinutes(1), CancellationToken.None));
    }
}
