using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Operations;
using PatchPortal.Tests.Unit.Portal.Data;

namespace PatchPortal.Tests.Unit.Portal.Operations;

/// <summary><c>patch-portal migrate-db</c> from a real SQLite portal database into a new database of the test PostgreSQL cluster.</summary>
[Collection(PostgresTests.Name)]
public sealed class MigrateDbCommandTests(PostgresFixture postgres)
{
    [Fact]
    public async Task RunAsync_CopiesEveryRowIntoPostgres_WhenTargetIsEmpty()
    {
        await using var sqlite = await ProviderDatabase.CreateAsync(PortalDatabase.Sqlite, postgres);
        var seeded = await SeedAsync(sqlite);
        var target = await postgres.Cluster.CreateDatabaseAsync("migrate");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await MigrateDbCommand.RunAsync(["migrate-db", "--from", FileOf(sqlite), "--to", "postgresql", "--connection", target], output, error, CancellationToken.None);

        Assert.True(exit == 0, error.ToString());
        await using var copied = ProviderDatabase.Open(PortalDatabase.Postgres, target);
        await using var pg = copied.CreateDbContext();
        await using var src = sqlite.CreateDbContext();
        Assert.Equal(await src.Hosts.CountAsync(), await pg.Hosts.CountAsync());
        Assert.Equal(await src.AuditEvents.CountAsync(), await pg.AuditEvents.CountAsync());
        Assert.Equal(await src.HostGroupMembers.CountAsync(), await pg.HostGroupMembers.CountAsync());
        var plan = await pg.PatchPlans.AsNoTracking().Include(p => p.TargetHosts).SingleAsync(p => p.Id == seeded.PlanId);
        Assert.Equal(["web-01"], plan.TargetHosts.Select(h => h.Name));
        Assert.Equal(["openssl"], plan.Packages);
        var hostRun = await pg.HostRuns.AsNoTracking().SingleAsync();
        Assert.Equal("3.0.2", Assert.Single(hostRun.Changes).To);
        var run = await pg.PatchRuns.AsNoTracking().SingleAsync();
        Assert.Equal(seeded.OccurrenceStart, run.OccurrenceStart);
        Assert.Null(run.HangfireJobId);
        Assert.Null(run.LeaseOwner);
        Assert.Contains("HostRuns", output.ToString(), StringComparison.Ordinal);

        // Identity sequences continue after the copied ids.
        pg.AuditEvents.Add(new AuditEvent { Action = "after-copy", Actor = "test", OccurredAt = DateTimeOffset.UtcNow });
        await pg.SaveChangesAsync();
        Assert.True(await pg.AuditEvents.Where(e => e.Action == "after-copy").Select(e => e.Id).SingleAsync() > seeded.LastAuditId);
    }

    [Fact]
    public async Task RunAsync_RefusesAndSaysWhich_WhenTargetHasRows()
    {
        await using var sqlite = await ProviderDatabase.CreateAsync(PortalDatabase.Sqlite, postgres);
        await SeedAsync(sqlite);
        await using var used = await ProviderDatabase.CreateAsync(PortalDatabase.Postgres, postgres);
        await SeedAsync(used);
        using var error = new StringWriter();

        var exit = await MigrateDbCommand.RunAsync(["migrate-db", "--from", FileOf(sqlite), "--to", "postgresql", "--connection", used.ConnectionString], TextWriter.Null, error, CancellationToken.None);

        Assert.Equal(1, exit);
        Assert.Contains("not empty", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--from", "/nonexistent/portal.db", "--to", "postgresql", "--connection", "Host=x", "does not exist")]
    [InlineData("--from", "/etc/hostname", "--to", "oracle", "--connection", "Host=x", "--to must be 'postgresql'")]
    [InlineData("--from", "/etc/hostname", "--to", "postgresql", "--bogus", "1", "usage:")]
    public async Task RunAsync_Exits2WithTheReason_WhenArgumentsAreWrong(string a, string b, string c, string d, string e, string f, string expected)
    {
        using var error = new StringWriter();

        var exit = await MigrateDbCommand.RunAsync(["migrate-db", a, b, c, d, e, f], TextWriter.Null, error, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
    }

    private static string FileOf(ProviderDatabase sqlite) => new SqliteConnectionStringBuilder(sqlite.ConnectionString).DataSource;

    private static async Task<(Guid PlanId, DateTimeOffset OccurrenceStart, long LastAuditId)> SeedAsync(ProviderDatabase database)
    {
        await using var db = database.CreateDbContext();
        var web = new ManagedHost { Name = "web-01", Address = "10.0.0.1", CreatedAt = DateTimeOffset.UtcNow };
        var other = new ManagedHost { Name = "db-01", Address = "10.0.0.2", CreatedAt = DateTimeOffset.UtcNow };
        var group = new HostGroup { Name = "web" };
        db.AddRange(web, other, group);
        db.HostGroupMembers.Add(new HostGroupMember { HostId = web.Id, GroupId = group.Id });
        var plan = new PatchPlan { Name = "Copy me", RequestedBy = "op@test", Timing = PlanTiming.Now, Scope = PlanPackageScope.NamedPackages, Packages = ["openssl"] };
        plan.TargetHosts.Add(web);
        db.PatchPlans.Add(plan);
        var start = new DateTimeOffset(2026, 11, 29, 1, 0, 0, TimeSpan.Zero).AddTicks(1230);
        var run = new PatchRun { Plan = plan, OccurrenceStart = start, OccurrenceEnd = start.AddHours(1), CutoffAt = start.AddMinutes(50), State = RunState.Running, HangfireJobId = "17", LeaseOwner = "old/process/x", LeaseExpiresAt = start };
        db.PatchRuns.Add(run);
        db.HostRuns.Add(new HostRun { RunId = run.Id, HostId = web.Id, HostName = web.Name, State = HostRunState.Succeeded, Changes = [new ManifestChange { Package = "openssl", From = "3.0.1", To = "3.0.2" }] });
        for (var i = 0; i < 3; i++)
        {
            db.AuditEvents.Add(new AuditEvent { Action = "seed", Actor = "test", OccurredAt = start.AddMinutes(i) });
        }

        await db.SaveChangesAsync();
        return (plan.Id, start, await db.AuditEvents.MaxAsync(e => e.Id));
    }
}
