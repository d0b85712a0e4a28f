using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Data.Sqlite;
using PatchPortal.Portal.Groups;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Portal.Windows;
using PatchPortal.Tests.Unit.Portal.Data;
using PatchPortal.Tests.Unit.Portal.Inventory;
using PatchPortal.Tests.Unit.Portal.Plans;
using PatchPortal.Tests.Unit.Portal.Runs;

namespace PatchPortal.Tests.Unit.Portal.Audit;

/// <summary>
/// Every audited change commits with its audit entry or not at all: the database refuses the audit entry's INSERT
/// (as a disk filling at that moment would) and the change it records must not be there either. Saving the change
/// first and auditing it in a second transaction, as the features once did, fails each of these.
/// </summary>
[Collection(HangfireGlobalState.Name)]
public sealed class AuditAtomicityTests
{
    private static readonly Actor Alice = new("alice@example.test", "10.0.0.5");

    /// <summary>A fault on every command that writes an audit entry.</summary>
    private static SqliteCommandFault AuditWriteFault() => new(sql => sql.Contains("INSERT INTO \"AuditEvents\"", StringComparison.Ordinal));

    /// <summary>
    /// Runs <paramref name="change"/> with audit writes refused, checks that it failed and that <paramref name="state"/>
    /// (what the change would alter) and the audit log are as before, then runs it again with the fault gone and checks
    /// that it lands with <paramref name="expected"/> new entries of <paramref name="action"/>.
    /// </summary>
    private static async Task AssertAllOrNothingAsync<T>(
        SqliteCommandFault fault, Func<PortalDbContext> open, string action, Func<Task> change, Func<PortalDbContext, Task<T>> state, int expected = 1)
    {
        T before;
        int entries;
        int ofAction;
        await using (var db = open())
        {
            before = await state(db);
            entries = await db.AuditEvents.CountAsync();
            ofAction = await db.AuditEvents.CountAsync(e => e.Action == action);
        }

        fault.Armed = true;
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(change);
            Assert.Contains("database or disk is full", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            fault.Armed = false;
        }

        Assert.True(fault.Refused > 0, "the change wrote no audit entry at all");
        await using (var db = open())
        {
            Assert.Equal(before, await state(db));
            Assert.Equal(entries, await db.AuditEvents.CountAsync());
        }

        await change();
        await using (var db = open())
        {
            Assert.NotEqual(before, await state(db));
            Assert.Equal(ofAction + expected, await db.AuditEvents.CountAsync(e => e.Action == action));
            var report = await AuditChain.VerifyAsync(db, null, CancellationToken.None);
            Assert.True(report.Intact, string.Join("; ", report.Problems));
        }
    }

    private static async Task<PortalTestHost> StartHostAsync(SqliteCommandFault fault) =>
        await PortalTestHost.StartAsync(
            addFeatures: b => b.AddWindows(),
            services: s => s.ConfigureDbContext<SqlitePortalDbContext>(o => o.AddInterceptors(fault)));

    private static async Task<string> Groups(PortalDbContext db) =>
        string.Join(",", (await db.HostGroups.AsNoTracking().OrderBy(g => g.Name).ToListAsync()).Select(g => $"{g.Name}:{g.Description}"));

    private static async Task<TResult> QueryAsync<TResult>(Func<PortalDbContext> open, Func<PortalDbContext, Task<TResult>> query)
    {
        await using var db = open();
        return await query(db);
    }

    [Fact]
    public async Task GroupChanges_CommitWithTheirAuditEntry_OrNotAtAll()
    {
        var fault = AuditWriteFault();
        await using var host = await StartHostAsync(fault);
        var groups = host.GetScoped<GroupCatalog>();
        var input = new GroupInput("web", "front ends", GroupEnvironment.Production, 1);

        await AssertAllOrNothingAsync(fault, host.CreateDbContext, AuditActions.GroupCreated,
            async () => Assert.True((await groups.CreateAsync(input, Alice, CancellationToken.None)).Succeeded), Groups);
        var id = await QueryAsync(host.CreateDbContext, db => db.HostGroups.Select(g => g.Id).SingleAsync());
        await AssertAllOrNothingAsync(fault, host.CreateDbContext, AuditActions.GroupEdited,
            async () => Assert.True((await groups.UpdateAsync(id, input with { Description = "edge" }, Alice, CancellationToken.None)).Succeeded), Groups);
        await AssertAllOrNothingAsync(fault, host.CreateDbContext, AuditActions.GroupDeleted,
            async () => Assert.True((await groups.DeleteAsync(id, detachHosts: true, Alice, CancellationToken.None)).Succeeded), Groups);
    }

    [Fact]
    public async Task HostRemovalAndBulkAssignment_CommitWithTheirAuditEntries_OrNotAtAll()
    {
        var fault = AuditWriteFault();
        await using var host = await StartHostAsync(fault);
        var hosts = host.GetScoped<HostCatalog>();
        var ids = new List<Guid>();
        foreach (var (name, address) in new[] { ("web-1", "10.0.0.1"), ("web-2", "10.0.0.2") })
        {
            ids.Add((await hosts.AddAsync(new HostInput(name, address, 12443, [], []), Alice, CancellationToken.None)).HostId!.Value);
        }

        static async Task<string> Tags(PortalDbContext db) =>
            string.Join(",", (await db.Hosts.AsNoTracking().Include(h => h.Tags).OrderBy(h => h.Name).ToListAsync())
                .Select(h => $"{h.Name}:{string.Join("+", h.Tags.Select(t => t.Name).Order(StringComparer.Ordinal))}"));

        // Two hosts, two entries, one transaction: neither host keeps the tag when the second entry is refused.
        await AssertAllOrNothingAsync(fault, host.CreateDbContext, AuditActions.HostsAssigned,
            async () => Assert.Equal(2, (await hosts.AssignAsync(ids, [], ["dmz"], Alice, CancellationToken.None)).Changed), Tags, expected: 2);
        await AssertAllOrNothingAsync(fault, host.CreateDbContext, AuditActions.HostRemoved,
            async () => Assert.True((await hosts.RemoveAsync(ids[0], Alice, CancellationToken.None)).Succeeded), Tags);
    }

    [Fact]
    public async Task BlackoutChanges_CommitWithTheirAuditEntry_OrNotAtAll()
    {
        var fault = AuditWriteFault();
        await using var host = await StartHostAsync(fault);
        var blackouts = host.GetScoped<BlackoutCatalog>();
        var start = DateTimeOffset.UtcNow.AddDays(3);
        var input = new BlackoutInput("Freeze", "release", start, start.AddDays(2), true, TargetSet.Empty);

        static async Task<string> Blackouts(PortalDbContext db) =>
            string.Join(",", (await db.Blackouts.AsNoTracking().OrderBy(b => b.Name).ToListAsync()).Select(b => $"{b.Name}:{b.Reason}"));

        await AssertAllOrNothingAsync(fault, host.CreateDbContext, AuditActions.BlackoutCreated,
            async () => Assert.True((await blackouts.CreateAsync(input, Alice, CancellationToken.None)).Succeeded), Blackouts);
        var id = await QueryAsync(host.CreateDbContext, db => db.Blackouts.Select(b => b.Id).SingleAsync());
        await AssertAllOrNothingAsync(fault, host.CreateDbContext, AuditActions.BlackoutDeleted,
            async () => Assert.True((await blackouts.DeleteAsync(id, Alice, CancellationToken.None)).Succeeded), Blackouts);
    }

    [Fact]
    public async Task UserChanges_CommitWithTheirAuditEntry_OrNotAtAll()
    {
        var fault = AuditWriteFault();
        await using var host = await StartHostAsync(fault);
        var users = host.Services.GetRequiredService<UserAdministration>();

        static async Task<string> Users(PortalDbContext db) =>
            string.Join(",", (await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync()).Select(u => $"{u.Email}:{u.LockoutEnd:O}"));

        // Creating a user is two writes through Identity (the user, then its role) and the audit entry.
        await AssertAllOrNothingAsync(fault, host.CreateDbContext, AuditActions.UserCreated,
            async () => Assert.True((await users.CreateAsync("bob@example.test", PortalRoles.Operator, Alice, CancellationToken.None)).Succeeded), Users);
        var bob = await QueryAsync(host.CreateDbContext, db => db.Users.Where(u => u.Email == "bob@example.test").Select(u => u.Id).SingleAsync());
        await AssertAllOrNothingAsync(fault, host.CreateDbContext, AuditActions.UserLocked,
            async () => Assert.True((await users.LockAsync(bob, Alice, CancellationToken.None)).Succeeded), Users);
    }

    [Fact]
    public async Task PlanChanges_CommitWithTheirAuditEntry_OrNotAtAll()
    {
        using var plans = new PlansTestContext();
        var fault = AuditWriteFault();
        plans.Database.Interceptors.Add(fault);
        var group = await plans.AddGroupAsync("web");
        await plans.AddHostAsync("web-1", group);

        static async Task<string> Plans(PortalDbContext db) =>
            string.Join(",", (await db.PatchPlans.AsNoTracking().OrderBy(p => p.Name).ToListAsync()).Select(p => $"{p.Name}:{p.State}:{p.Revision}"));

        await AssertAllOrNothingAsync(fault, plans.Database.CreateDbContext, AuditActions.PlanCreated,
            () => plans.CreateAsync(PlansTestContext.Input(null, group.Id)), Plans);
        var id = await QueryAsync(plans.Database.CreateDbContext, db => db.PatchPlans.Select(p => p.Id).SingleAsync());
        await AssertAllOrNothingAsync(fault, plans.Database.CreateDbContext, AuditActions.PlanCancelled,
            async () => Assert.True((await plans.Service.CancelAsync(id, "not needed", PlansTestContext.Operator, CancellationToken.None)).Succeeded), Plans);
    }

    [Fact]
    public async Task RunCancellation_CommitsWithItsAuditEntry_OrNotAtAll()
    {
        using var harness = new RunHarness();
        var fault = AuditWriteFault();
        harness.Database.Interceptors.Add(fault);
        var (_, run, _) = await harness.ScheduledRunAsync(["web-1"]);

        async Task<string> State(PortalDbContext db)
        {
            var current = await db.PatchRuns.AsNoTracking().SingleAsync(r => r.Id == run.Id);
            return $"{current.State}:{current.CancelledBy}";
        }

        await AssertAllOrNothingAsync(fault, harness.Database.CreateDbContext, AuditActions.RunCancelled,
            async () => Assert.True((await harness.Control().CancelAsync(run.Id, "change freeze", Alice, CancellationToken.None)).Succeeded), State);
    }
}
