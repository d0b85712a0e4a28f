using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Tests.Unit.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Runs;

/// <summary>A migrated portal database (real SQLite) with helpers to arrange windows, plans, runs and hosts.</summary>
internal sealed class RunsDatabase : IDbContextFactory<PortalDbContext>, IDisposable
{
    private readonly InventoryDatabase _database = new();

    public string Directory => _database.Directory;

    public int SqlCount => _database.SqlCount;

    public List<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor> Interceptors => _database.Interceptors;

    public PortalDbContext CreateDbContext() => _database.CreateDbContext();

    public Task<ManagedHost> AddHostAsync(string name, bool enrolled = true) => _database.AddHostAsync(name, enrolled);

    public async Task<MaintenanceWindow> AddWindowAsync(string name = "Sunday night", bool enabled = true)
    {
        var window = new MaintenanceWindow
        {
            Name = name,
            TimeZoneId = "Europe/Berlin",
            StartLocal = new DateTime(2026, 11, 29, 2, 0, 0, DateTimeKind.Unspecified),
            DurationMinutes = 120,
            CutoffMinutes = 30,
            RecurrenceRule = "FREQ=WEEKLY;BYDAY=SU",
            Enabled = enabled,
            CreatedBy = "operator@test",
        };
        await using var db = CreateDbContext();
        db.MaintenanceWindows.Add(window);
        await db.SaveChangesAsync();
        return window;
    }

    /// <summary>An approved plan targeting <paramref name="hosts"/>; <paramref name="configure"/> sets timing and rollout.</summary>
    public async Task<PatchPlan> AddApprovedPlanAsync(MaintenanceWindow? window, IEnumerable<ManagedHost> hosts, Action<PatchPlan>? configure = null, PlanState state = PlanState.Approved)
    {
        var plan = new PatchPlan
        {
            Name = "Monthly patching " + Guid.NewGuid().ToString("N")[..6],
            RequestedBy = "operator@test",
            Timing = window is null ? PlanTiming.Now : PlanTiming.NextOccurrence,
            WindowId = window?.Id,
            RebootPolicy = RebootPolicy.Never,
        };
        configure?.Invoke(plan);
        plan.TransitionTo(PlanState.PendingApproval);
        if (state != PlanState.PendingApproval)
        {
            plan.TransitionTo(PlanState.Approved);
        }

        if (state is PlanState.Scheduled or PlanState.Running)
        {
            plan.TransitionTo(PlanState.Scheduled);
        }

        if (state == PlanState.Running)
        {
            plan.TransitionTo(PlanState.Running);
        }

        await using var db = CreateDbContext();
        foreach (var host in hosts)
        {
            var tracked = await db.Hosts.SingleAsync(h => h.Id == host.Id);
            plan.TargetHosts.Add(tracked);
        }

        db.PatchPlans.Add(plan);
        await db.SaveChangesAsync();
        return plan;
    }

    public async Task<PatchPlan> GetPlanAsync(Guid id)
    {
        await using var db = CreateDbContext();
        return await db.PatchPlans.AsNoTracking().SingleAsync(p => p.Id == id);
    }

    public async Task<List<PatchRun>> RunsOfAsync(Guid planId)
    {
        await using var db = CreateDbContext();
        return await db.PatchRuns.AsNoTracking().Where(r => r.PlanId == planId).OrderBy(r => r.OccurrenceStart).ToListAsync();
    }

    public async Task<PatchRun> GetRunAsync(Guid id)
    {
        await using var db = CreateDbContext();
        return await db.PatchRuns.AsNoTracking().Include(r => r.Hosts).SingleAsync(r => r.Id == id);
    }

    public async Task<List<HostRun>> HostRunsAsync(Guid runId)
    {
        await using var db = CreateDbContext();
        return await db.HostRuns.AsNoTracking().Where(h => h.RunId == runId).OrderBy(h => h.HostName).ToListAsync();
    }

    public async Task<List<PlanEvent>> PlanEventsAsync(Guid planId)
    {
        await using var db = CreateDbContext();
        return await db.PlanEvents.AsNoTracking().Where(e => e.PlanId == planId).OrderBy(e => e.Id).ToListAsync();
    }

    public async Task<List<AuditEvent>> AuditAsync(string action)
    {
        await using var db = CreateDbContext();
        return await db.AuditEvents.AsNoTracking().Where(e => e.Action == action).OrderBy(e => e.Id).ToListAsync();
    }

    public void Dispose() => _database.Dispose();
}
