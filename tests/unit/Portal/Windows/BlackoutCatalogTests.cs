using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Portal.Windows;
using static PatchPortal.Tests.Unit.Portal.Windows.WindowTestData;

namespace PatchPortal.Tests.Unit.Portal.Windows;

public sealed class BlackoutCatalogTests : IAsyncLifetime
{
    private static readonly Actor Operator = new("operator@example.test", "10.0.0.5");
    private readonly FakeTimeProvider _time = new(Utc(2026, 12, 1, 0));
    private PortalTestHost _host = default!;
    private BlackoutCatalog _catalog = default!;
    private Guid _web;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(addFeatures: b => b.AddWindows(), services: s => s.AddSingleton<TimeProvider>(_time));
        _catalog = _host.GetScoped<BlackoutCatalog>();
        await using var db = _host.CreateDbContext();
        var web = new HostGroup { Name = "web" };
        db.HostGroups.Add(web);
        await db.SaveChangesAsync();
        _web = web.Id;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private BlackoutInput Freeze(bool all = false, TargetSet? targets = null) =>
        new("Year-end freeze", "release freeze", Utc(2026, 12, 20, 0), Utc(2027, 1, 4, 0), all, targets ?? new TargetSet([_web], [], []));

    [Fact]
    public async Task CreateAsync_SavesAndAudits_WhenValid()
    {
        var result = await _catalog.CreateAsync(Freeze(), Operator, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error);
        await using var db = _host.CreateDbContext();
        var saved = await db.Blackouts.Include(b => b.TargetGroups).SingleAsync();
        Assert.Equal("web", Assert.Single(saved.TargetGroups).Name);
        var entry = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.BlackoutCreated);
        Assert.Contains("\"targets\":\"group web\"", entry.AfterJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_Refuses_WhenEndIsNotAfterStart()
    {
        var result = await _catalog.CreateAsync(Freeze() with { EndsAt = Utc(2026, 12, 20, 0) }, Operator, CancellationToken.None);

        Assert.Equal("The end must be after the start.", result.FieldErrors[nameof(BlackoutInput.EndsAt)]);
    }

    [Fact]
    public async Task CreateAsync_Refuses_WhenNeitherEverythingNorTargets()
    {
        var result = await _catalog.CreateAsync(Freeze(targets: TargetSet.Empty), Operator, CancellationToken.None);

        Assert.Equal("Choose everything, or at least one group, tag or host the blackout applies to.", result.FieldErrors[WindowRules.TargetsField]);
        await using var db = _host.CreateDbContext();
        Assert.False(await db.Blackouts.AnyAsync());
    }

    [Fact]
    public async Task CreateAsync_DropsTargets_WhenAppliesToAll()
    {
        await _catalog.CreateAsync(Freeze(all: true), Operator, CancellationToken.None);

        await using var db = _host.CreateDbContext();
        var saved = await db.Blackouts.Include(b => b.TargetGroups).SingleAsync();
        Assert.True(saved.AppliesToAll);
        Assert.Empty(saved.TargetGroups);
    }

    [Fact]
    public async Task UpdateAsync_AuditsBeforeAndAfter_WhenSpanChanges()
    {
        var id = (await _catalog.CreateAsync(Freeze(), Operator, CancellationToken.None)).Id!.Value;

        await _catalog.UpdateAsync(id, Freeze() with { EndsAt = Utc(2027, 1, 6, 0) }, Operator, CancellationToken.None);

        await using var db = _host.CreateDbContext();
        var entry = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.BlackoutEdited);
        Assert.Contains("2027-01-04", entry.BeforeJson, StringComparison.Ordinal);
        Assert.Contains("2027-01-06", entry.AfterJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteAsync_RemovesAndAudits_WhenBlackoutExists()
    {
        var id = (await _catalog.CreateAsync(Freeze(), Operator, CancellationToken.None)).Id!.Value;

        var result = await _catalog.DeleteAsync(id, Operator, CancellationToken.None);

        Assert.True(result.Succeeded);
        await using var db = _host.CreateDbContext();
        Assert.False(await db.Blackouts.AnyAsync());
        Assert.True(await db.AuditEvents.AnyAsync(e => e.Action == AuditActions.BlackoutDeleted && e.Target == "Year-end freeze"));
    }
}
