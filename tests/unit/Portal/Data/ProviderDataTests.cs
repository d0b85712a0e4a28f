using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Plans;
using PatchPortal.Portal.Runs;

namespace PatchPortal.Tests.Unit.Portal.Data;

/// <summary>
/// The data layer on both providers: each test runs once on SQLite and once on PostgreSQL (a throw-away cluster),
/// through the portal's own registration and migration set for that provider.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class ProviderDataTests(PostgresFixture postgres)
{
    public static TheoryData<string> Providers => new() { PortalDatabase.Sqlite, PortalDatabase.Postgres };

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Migrate_LeavesNothingPendingAndMatchesTheModel_WhenDatabaseIsEmpty(string provider)
    {
        await using var database = await ProviderDatabase.CreateAsync(provider, postgres, migrate: false);
        await using var db = database.CreateDbContext();

        var all = db.Database.GetMigrations().ToList();
        await db.Database.MigrateAsync();

        Assert.NotEmpty(all);
        Assert.Equal(all, await db.Database.GetAppliedMigrationsAsync());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges(), $"the {provider} model has changes no migration covers: add a migration");
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task SaveChanges_RefusesSecondHost_WhenNameDiffersOnlyInCase(string provider)
    {
        await using var database = await ProviderDatabase.CreateAsync(provider, postgres);
        await using (var db = database.CreateDbContext())
        {
            db.Hosts.Add(new ManagedHost { Name = "web-01", Address = "10.0.0.1" });
            await db.SaveChangesAsync();
        }

        await using var second = database.CreateDbContext();
        second.Hosts.Add(new ManagedHost { Name = "WEB-01", Address = "10.0.0.2" });

        await Assert.ThrowsAsync<DbUpdateException>(() => second.SaveChangesAsync());
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task SaveChanges_ThrowsConcurrencyException_WhenAnotherWriterSavedThePlanFirst(string provider)
    {
        await using var database = await ProviderDatabase.CreateAsync(provider, postgres);
        var plan = await AddPlanAsync(database, "Concurrent plan");
        await using var first = database.CreateDbContext();
        await using var second = database.CreateDbContext();
        var mine = await first.PatchPlans.SingleAsync(p => p.Id == plan.Id);
        var theirs = await second.PatchPlans.SingleAsync(p => p.Id == plan.Id);

        theirs.Description = "saved first";
        await second.SaveChangesAsync();
        mine.Description = "saved second";

        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => first.SaveChangesAsync());
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task DateTimeOffset_RoundTripsAsTheSameInstant_WhenWrittenWithAnOffset(string provider)
    {
        await using var database = await ProviderDatabase.CreateAsync(provider, postgres);
        var written = new DateTimeOffset(2026, 3, 29, 2, 30, 15, 123, TimeSpan.FromHours(2)).AddTicks(4560);
        await using (var db = database.CreateDbContext())
        {
            db.AuditEvents.Add(new AuditEvent { Action = "round-trip", Actor = "test", OccurredAt = written });
            await db.SaveChangesAsync();
        }

        await using var read = database.CreateDbContext();
        var stored = await read.AuditEvents.Where(e => e.Action == "round-trip").Select(e => e.OccurredAt).SingleAsync();

        // PostgreSQL keeps microseconds; SQLite's ticks keep all. Both keep the instant, read back in UTC.
        Assert.Equal(TimeSpan.Zero, stored.Offset);
        Assert.True((stored - written).Duration() < TimeSpan.FromTicks(10), $"{stored:O} is not {written:O}");
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task AuditTimeRange_ReturnsOnlyEventsInsideTheRange_WhenOffsetsDiffer(string provider)
    {
        await using var database = await ProviderDatabase.CreateAsync(provider, postgres);
        await using (var seed = database.CreateDbContext())
        {
            seed.AuditEvents.AddRange(
                Audit("inside-east", new DateTimeOffset(2026, 3, 1, 23, 30, 0, TimeSpan.FromHours(2))),
                Audit("inside-west", new DateTimeOffset(2026, 3, 1, 1, 0, 0, TimeSpan.FromHours(-5))),
                Audit("outside-early", new DateTimeOffset(2026, 3, 1, 0, 30, 0, TimeSpan.FromHours(2))),
                Audit("outside-late", new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero)));
            await seed.SaveChangesAsync();
        }

        await using var db = database.CreateDbContext();
        var from = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var found = await AuditQuery.Apply(db.AuditEvents, new AuditFilter(From: from, Until: from.AddDays(1)))
            .OrderBy(e => e.OccurredAt).Select(e => e.Action).ToListAsync();

        Assert.Equal(["inside-west", "inside-east"], found);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task HostCatalogPage_FindsHostsCaseInsensitivelyInSql_WhenSearchingAndSorting(string provider)
    {
        await using var database = await ProviderDatabase.CreateAsync(provider, postgres);
        await using (var seed = database.CreateDbContext())
        {
            seed.Hosts.AddRange(
                new ManagedHost { Name = "Web-02", Address = "10.0.0.2", LastSeenAt = DateTimeOffset.UtcNow },
                new ManagedHost { Name = "web-01", Address = "10.0.0.1", InventoryRefreshedAt = DateTimeOffset.UtcNow.AddDays(-3) },
                new ManagedHost { Name = "db-01", Address = "10.0.1.1" });
            await seed.SaveChangesAsync();
        }

        await using var db = database.CreateDbContext();
        var rows = await HostCatalog.PageQuery(db, new HostFilter(Search: "WEB"), new HostSort(HostSort.Name), 0, 10, DateTimeOffset.UtcNow.AddDays(-1))
            .ToListAsync();
        var stale = await HostCatalog.Filter(db.Hosts, new HostFilter(Stale: true), DateTimeOffset.UtcNow.AddDays(-1)).Select(h => h.Name).ToListAsync();

        Assert.Equal(["web-01", "Web-02"], rows.Select(r => r.Name));
        Assert.Contains("web-01", stale);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task PlanCatalogPage_FindsPlansAndKeepsTheirLists_WhenSearchingByName(string provider)
    {
        await using var database = await ProviderDatabase.CreateAsync(provider, postgres);
        var plan = await AddPlanAsync(database, "Monthly Kernel patching", p =>
        {
            p.Scope = PlanPackageScope.NamedPackages;
            p.Packages = ["openssl", "linux-image-*"];
            p.ExcludedPackages = ["postgresql-15"];
            p.CanaryHostIds = [Guid.CreateVersion7()];
        });
        await AddPlanAsync(database, "Database upgrades");

        await using var db = database.CreateDbContext();
        var rows = await PlanQueries.PageQuery(db, new PlanFilter(Search: "kernel"), new PlanSort(PlanSort.Name), 0, 10).ToListAsync();
        var stored = await db.PatchPlans.AsNoTracking().SingleAsync(p => p.Id == plan.Id);

        Assert.Equal(plan.Id, Assert.Single(rows).Id);
        Assert.Equal(["openssl", "linux-image-*"], stored.Packages);
        Assert.Equal(["postgresql-15"], stored.ExcludedPackages);
        Assert.Equal(plan.CanaryHostIds, stored.CanaryHostIds);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task HostRunChanges_RoundTripAsJson_WhenSaved(string provider)
    {
        await using var database = await ProviderDatabase.CreateAsync(provider, postgres);
        var run = await AddRunAsync(database);
        await using (var db = database.CreateDbContext())
        {
            db.HostRuns.Add(new HostRun
            {
                RunId = run.Id,
                HostId = Guid.CreateVersion7(),
                HostName = "web-01",
                State = HostRunState.Succeeded,
                Changes = [new ManifestChange { Package = "openssl", From = "3.0.1", To = "3.0.2" }],
            });
            await db.SaveChangesAsync();
        }

        await using var read = database.CreateDbContext();
        var change = Assert.Single((await read.HostRuns.AsNoTracking().SingleAsync(h => h.RunId == run.Id)).Changes);

        Assert.Equal(("openssl", "3.0.1", "3.0.2"), (change.Package, change.From, change.To));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task RunLease_LetsOnlyOneNodeClaimARun_WhenTwoNodesTryAtOnce(string provider)
    {
        await using var database = await ProviderDatabase.CreateAsync(provider, postgres);
        var run = await AddRunAsync(database);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = Options.Create(new RunsOptions { LeaseSeconds = 30 });
        var nodeA = new RunLease(database, new PortalNode("node-a", "1"), options, time);
        var nodeB = new RunLease(database, new PortalNode("node-b", "1"), options, time);

        var leases = Enumerable.Range(0, 8).Select(i => i % 2 == 0 ? nodeA : nodeB).ToList();
        var claims = await Task.WhenAll(leases.Select(l => l.TryAcquireAsync(run.Id, l.NewOwner(), CancellationToken.None)));

        Assert.Single(claims, c => c);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task RunLease_LetsAnotherNodeTakeOver_WhenTheClaimLapsed(string provider)
    {
        await using var database = await ProviderDatabase.CreateAsync(provider, postgres);
        var run = await AddRunAsync(database);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = Options.Create(new RunsOptions { LeaseSeconds = 30 });
        var nodeA = new RunLease(database, new PortalNode("node-a", "1"), options, time);
        var nodeB = new RunLease(database, new PortalNode("node-b", "1"), options, time);
        var ownerA = nodeA.NewOwner();
        Assert.True(await nodeA.TryAcquireAsync(run.Id, ownerA, CancellationToken.None));
        Assert.False(await nodeB.TryAcquireAsync(run.Id, nodeB.NewOwner(), CancellationToken.None));

        time.Advance(TimeSpan.FromSeconds(31));

        Assert.True(await nodeB.TryAcquireAsync(run.Id, nodeB.NewOwner(), CancellationToken.None));
        Assert.False(await nodeA.RenewAsync(run.Id, ownerA, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task AuditChain_VerifiesIntact_WhenEventsWereRecordedWithTickPrecisionTimes(string provider)
    {
        await using var database = await ProviderDatabase.CreateAsync(provider, postgres);
        // Times with ticks below a microsecond: the hash covers them, so the database must give them back exactly.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567));
        using var audit = new AuditLog(database, time);
        await audit.RecordAsync(AuditEntry.By(new Actor("admin@test", "127.0.0.1"), "test.first", "a"));
        time.Advance(TimeSpan.FromTicks(3));
        await audit.RecordAsync(AuditEntry.By(new Actor("admin@test", "127.0.0.1"), "test.second", "b"));

        await using var db = database.CreateDbContext();
        var report = await AuditChain.VerifyAsync(db, null, CancellationToken.None);

        Assert.True(report.Intact, string.Join("; ", report.Problems.Select(p => p.Problem)));
        Assert.Equal(2, report.Entries);
    }

    private static AuditEvent Audit(string action, DateTimeOffset at) => new() { Action = action, Actor = "test", OccurredAt = at };

    private static async Task<PatchPlan> AddPlanAsync(ProviderDatabase database, string name, Action<PatchPlan>? configure = null)
    {
        var plan = new PatchPlan { Name = name, RequestedBy = "operator@test", Timing = PlanTiming.Now, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow };
        configure?.Invoke(plan);
        await using var db = database.CreateDbContext();
        db.PatchPlans.Add(plan);
        await db.SaveChangesAsync();
        return plan;
    }

    private static async Task<PatchRun> AddRunAsync(ProviderDatabase database)
    {
        var plan = await AddPlanAsync(database, "Run plan " + Guid.NewGuid().ToString("N")[..6]);
        var start = DateTimeOffset.UtcNow;
        var run = new PatchRun
        {
            PlanId = plan.Id,
            OccurrenceStart = start,
            OccurrenceEnd = start.AddHours(1),
            CutoffAt = start.AddMinutes(50),
            State = RunState.Running,
            CreatedAt = start,
        };
        await using var db = database.CreateDbContext();
        db.PatchRuns.Add(run);
        await db.SaveChangesAsync();
        return run;
    }
}
