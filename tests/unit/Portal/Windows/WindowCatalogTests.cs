using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Portal.Windows;
using static PatchPortal.Tests.Unit.Portal.Windows.WindowTestData;

namespace PatchPortal.Tests.Unit.Portal.Windows;

/// <summary>Window changes against the real SQLite schema: validation, names, targets, audit, and the plans that hold a window.</summary>
public sealed class WindowCatalogTests : IAsyncLifetime
{
    private static readonly Actor Operator = new("operator@example.test", "10.0.0.5");
    private readonly FakeTimeProvider _time = new(Utc(2026, 12, 1, 0));
    private PortalTestHost _host = default!;
    private WindowCatalog _catalog = default!;
    private Guid _web;
    private Guid _db;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(addFeatures: b => b.AddWindows(), services: s => s.AddSingleton<TimeProvider>(_time));
        _catalog = _host.GetScoped<WindowCatalog>();
        await using var db = _host.CreateDbContext();
        var web = new HostGroup { Name = "web" };
        var dbGroup = new HostGroup { Name = "db" };
        db.HostGroups.AddRange(web, dbGroup);
        await db.SaveChangesAsync();
        (_web, _db) = (web.Id, dbGroup.Id);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private WindowInput Valid(string name = "Sunday night", Guid? group = null, string zone = "Europe/Berlin") =>
        Input(zone: zone, targets: new TargetSet([group ?? _web], [], [])) with { Name = name };

    private async Task<Guid> CreateAsync(WindowInput input)
    {
        var result = await _catalog.CreateAsync(input, Operator, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
        return result.Id!.Value;
    }

    [Fact]
    public async Task CreateAsync_SavesWindowAndAuditsAfterState_WhenValid()
    {
        var id = await CreateAsync(Valid());

        await using var db = _host.CreateDbContext();
        var window = await db.MaintenanceWindows.Include(w => w.TargetGroups).SingleAsync(w => w.Id == id);
        Assert.Equal("FREQ=WEEKLY;BYDAY=SU", window.RecurrenceRule);
        Assert.Equal("web", Assert.Single(window.TargetGroups).Name);
        Assert.Equal(Operator.Name, window.CreatedBy);
        var entry = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.WindowCreated);
        Assert.Null(entry.BeforeJson);
        Assert.Contains("\"recurrenceRule\":\"FREQ=WEEKLY;BYDAY=SU\"", entry.AfterJson, StringComparison.Ordinal);
        Assert.Contains("\"groups\":[\"web\"]", entry.AfterJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_RefusesOnCutoffFieldAndSavesNothing_WhenCutoffNotShorterThanDuration()
    {
        var result = await _catalog.CreateAsync(Valid() with { CutoffMinutes = 120 }, Operator, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.True(result.FieldErrors.ContainsKey(nameof(WindowInput.CutoffMinutes)));
        await using var db = _host.CreateDbContext();
        Assert.False(await db.MaintenanceWindows.AnyAsync());
        Assert.False(await db.AuditEvents.AnyAsync(e => e.Action == AuditActions.WindowCreated));
    }

    [Fact]
    public async Task CreateAsync_RefusesName_WhenItDiffersOnlyInCase()
    {
        await CreateAsync(Valid("Sunday night"));

        var result = await _catalog.CreateAsync(Valid("SUNDAY NIGHT"), Operator, CancellationToken.None);

        Assert.Equal("A window named 'SUNDAY NIGHT' already exists.", result.FieldErrors[nameof(WindowInput.Name)]);
    }

    [Fact]
    public async Task CreateAsync_RefusesTargets_WhenGroupNoLongerExists()
    {
        var result = await _catalog.CreateAsync(Valid(group: Guid.NewGuid()), Operator, CancellationToken.None);

        Assert.Equal("A chosen group, tag or host no longer exists; choose the targets again.", result.FieldErrors[WindowRules.TargetsField]);
        Assert.Equal(ChangeStatus.Invalid, result.Status);
    }

    [Fact]
    public async Task UpdateAsync_AuditsBeforeAndAfter_WhenRuleAndTargetsChange()
    {
        var id = await CreateAsync(Valid());

        var result = await _catalog.UpdateAsync(id, Valid() with { RecurrenceRule = "FREQ=MONTHLY;BYDAY=2TU", Targets = new TargetSet([_db], [], []) },
            Operator, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error);
        await using var db = _host.CreateDbContext();
        var entry = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.WindowEdited);
        Assert.Contains("\"recurrenceRule\":\"FREQ=WEEKLY;BYDAY=SU\"", entry.BeforeJson, StringComparison.Ordinal);
        Assert.Contains("\"groups\":[\"web\"]", entry.BeforeJson, StringComparison.Ordinal);
        Assert.Contains("\"recurrenceRule\":\"FREQ=MONTHLY;BYDAY=2TU\"", entry.AfterJson, StringComparison.Ordinal);
        Assert.Contains("\"groups\":[\"db\"]", entry.AfterJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_RecordsNothing_WhenNothingChanged()
    {
        var id = await CreateAsync(Valid());

        await _catalog.UpdateAsync(id, Valid(), Operator, CancellationToken.None);

        await using var db = _host.CreateDbContext();
        Assert.False(await db.AuditEvents.AnyAsync(e => e.Action == AuditActions.WindowEdited));
    }

    [Fact]
    public async Task DeleteAsync_RefusesNamingPlan_WhenPlanUsesWindow()
    {
        var id = await CreateAsync(Valid());
        await using (var db = _host.CreateDbContext())
        {
            db.PatchPlans.Add(new PatchPlan { Name = "January kernel", RequestedBy = Operator.Name, Timing = PlanTiming.NextOccurrence, WindowId = id });
            await db.SaveChangesAsync();
        }

        var result = await _catalog.DeleteAsync(id, Operator, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal("The window 'Sunday night' cannot be deleted: 1 plan(s) use it ('January kernel'). Move those plans to another window or delete them first.", result.Error);
        await using var check = _host.CreateDbContext();
        Assert.True(await check.MaintenanceWindows.AnyAsync(w => w.Id == id));
    }

    [Fact]
    public async Task DeleteAsync_RemovesWindowAndAuditsBeforeState_WhenNoPlanUsesIt()
    {
        var id = await CreateAsync(Valid());

        var result = await _catalog.DeleteAsync(id, Operator, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error);
        await using var db = _host.CreateDbContext();
        Assert.False(await db.MaintenanceWindows.AnyAsync());
        var entry = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.WindowDeleted);
        Assert.Contains("\"name\":\"Sunday night\"", entry.BeforeJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetPageAsync_ReturnsOnlyWindowsOfGroup_WhenFilteredByGroup()
    {
        await CreateAsync(Valid("web window", _web));
        await CreateAsync(Valid("db window", _db));

        var page = await _catalog.GetPageAsync(new WindowFilter(GroupId: _db), null, false, 0, 25, CancellationToken.None);

        Assert.Equal(["db window"], page.Items.Select(w => w.Name));
        Assert.Equal(1, page.Total);
    }

    [Fact]
    public async Task GetPageAsync_ReturnsOnlyWindowsInZone_WhenFilteredByZone()
    {
        await CreateAsync(Valid("berlin", zone: "Europe/Berlin"));
        await CreateAsync(Valid("new york", zone: "America/New_York"));

        var page = await _catalog.GetPageAsync(new WindowFilter(TimeZoneId: "America/New_York"), null, false, 0, 25, CancellationToken.None);

        Assert.Equal(["new york"], page.Items.Select(w => w.Name));
    }

    [Fact]
    public async Task GetPageAsync_SortsByZoneDescending_WhenAsked()
    {
        await CreateAsync(Valid("a", zone: "America/New_York"));
        await CreateAsync(Valid("b", zone: "Europe/Berlin"));
        await CreateAsync(Valid("c", zone: "Asia/Tokyo"));

        var page = await _catalog.GetPageAsync(new WindowFilter(), WindowCatalog.SortZone, true, 0, 2, CancellationToken.None);

        Assert.Equal(["b", "c"], page.Items.Select(w => w.Name));
        Assert.Equal(3, page.Total);
    }

    [Fact]
    public async Task GetPageAsync_ShowsNextOccurrence_WhenWindowRecurs()
    {
        await CreateAsync(Valid());

        var row = Assert.Single((await _catalog.GetPageAsync(new WindowFilter(), null, false, 0, 25, CancellationToken.None)).Items);

        // The window starts on Sunday 3 January 2027 at 02:00 in Berlin (CET), 01:00 UTC.
        Assert.Equal(Utc(2027, 1, 3, 1), row.Next?.Start);
        Assert.Equal("group web", row.Targets);
    }
}
