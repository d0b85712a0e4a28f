using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Plans;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Tests.Unit.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Plans;

/// <summary>
/// The Plans services over a real migrated SQLite database, with scripted agents, a fake clock, a simple schedule and
/// a recording run scheduler; helpers that seed groups, hosts and windows and walk a plan through its states.
/// </summary>
internal sealed class PlansTestContext : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    public static readonly Actor Operator = new("operator@example.test", "10.0.0.5");
    public static readonly Actor Approver = new("approver@example.test", "10.0.0.6");
    public static readonly Actor SecondApprover = new("second@example.test", "10.0.0.7");

    /// <summary>An instant <paramref name="days"/> after today (the day of <see cref="Now"/>) at a whole hour, UTC.</summary>
    public static DateTimeOffset At(int days, int hour) => new DateTimeOffset(Now.Year, Now.Month, Now.Day, hour, 0, 0, TimeSpan.Zero).AddDays(days);

    public InventoryDatabase Database { get; } = new();
    public ScriptedAgentClient Agents { get; } = new();
    public FakeTimeProvider Time { get; } = new(Now);
    public RecordingRunScheduler Runs { get; } = new();
    public DailySchedule Schedule { get; } = new();
    public PlanEventHub Events { get; } = new();
    public DryRunBoard Board { get; } = new();
    public PlansOptions Options { get; } = new();

    public PlanService Service => new(Database, Audit, Events, Board, Schedule, Runs, Microsoft.Extensions.Options.Options.Create(Options), Time,
        NullLogger<PlanService>.Instance);

    public PlanDryRun DryRun => new(Database, Agents, Board, Audit, Events, Microsoft.Extensions.Options.Options.Create(Options), Time,
        NullLogger<PlanDryRun>.Instance);

    public PlanQueries Queries => new(Database, Schedule, Time);

    private AuditLog Audit => new(Database, Time);

    public void Dispose() => Database.Dispose();

    public async Task<HostGroup> AddGroupAsync(string name, int approvals = 1)
    {
        var group = new HostGroup { Name = name, RequiredApprovals = approvals };
        await using var db = Database.CreateDbContext();
        db.HostGroups.Add(group);
        await db.SaveChangesAsync();
        return group;
    }

    /// <summary>An enrolled host (in the given groups) whose agent answers dry runs with one change by default.</summary>
    public async Task<ManagedHost> AddHostAsync(string name, params HostGroup[] groups)
    {
        var host = await Database.AddHostAsync(name);
        if (groups.Length > 0)
        {
            await JoinAsync(host, groups);
        }

        Agents.For(host.Id).DryRun = AgentCallResult.Ok(new DryRunManifest([new PlannedChange("openssl", "3.5.1-1", "3.5.1-1+deb13u1")], false));
        return host;
    }

    public async Task JoinAsync(ManagedHost host, params HostGroup[] groups)
    {
        await using var db = Database.CreateDbContext();
        foreach (var group in groups)
        {
            db.HostGroupMembers.Add(new HostGroupMember { HostId = host.Id, GroupId = group.Id });
        }

        await db.SaveChangesAsync();
    }

    /// <summary>A window that opens daily (or once) at <paramref name="start"/> UTC for <paramref name="minutes"/>.</summary>
    public async Task<MaintenanceWindow> AddWindowAsync(string name, DateTimeOffset start, int minutes = 120, bool daily = true, bool enabled = true)
    {
        var window = new MaintenanceWindow
        {
            Name = name,
            TimeZoneId = "UTC",
            StartLocal = start.UtcDateTime,
            DurationMinutes = minutes,
            RecurrenceRule = daily ? DailySchedule.Daily : null,
            Enabled = enabled,
            CreatedAt = Now,
            UpdatedAt = Now,
        };
        await using var db = Database.CreateDbContext();
        db.MaintenanceWindows.Add(window);
        await db.SaveChangesAsync();
        return window;
    }

    public static PlanInput Input(MaintenanceWindow? window, params Guid[] groupIds) => new()
    {
        Name = "Monthly patching",
        GroupIds = groupIds,
        Timing = window is null ? PlanTiming.Now : PlanTiming.NextOccurrence,
        WindowId = window?.Id,
    };

    public async Task<Guid> CreateAsync(PlanInput input, Actor? actor = null)
    {
        var result = await Service.CreateAsync(input, actor ?? Operator, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error + " " + string.Join("; ", result.FieldErrors.Select(e => $"{e.Key}: {e.Value}")));
        return result.PlanId!.Value;
    }

    /// <summary>Creates, dry-runs and submits a plan; returns its id.</summary>
    public async Task<Guid> SubmittedAsync(PlanInput input)
    {
        var id = await CreateAsync(input);
        await DryRunAsync(id);
        var submitted = await Service.SubmitAsync(id, await RevisionAsync(id), Operator, CancellationToken.None);
        Assert.True(submitted.Succeeded, submitted.Error);
        return id;
    }

    public async Task DryRunAsync(Guid planId)
    {
        var result = await DryRun.RunAsync(planId, Operator, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
    }

    public async Task<PatchPlan> PlanAsync(Guid planId)
    {
        await using var db = Database.CreateDbContext();
        return await db.PatchPlans.AsNoTracking().SingleAsync(p => p.Id == planId);
    }

    public async Task<int> RevisionAsync(Guid planId) => (await PlanAsync(planId)).Revision;

    public async Task<List<AuditEvent>> AuditAsync(string action)
    {
        await using var db = Database.CreateDbContext();
        return await db.AuditEvents.AsNoTracking().Where(e => e.Action == action).OrderBy(e => e.Id).ToListAsync();
    }

    public async Task<List<PlanEvent>> TimelineAsync(Guid planId)
    {
        await using var db = Database.CreateDbContext();
        return await db.PlanEvents.AsNoTracking().Where(e => e.PlanId == planId).OrderBy(e => e.Id).ToListAsync();
    }
}
