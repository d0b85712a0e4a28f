using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Inventory;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Tests.Unit.Portal.Hosts;

/// <summary>The host catalog's rules against the real SQLite schema (migrations applied) in a temp directory.</summary>
public sealed class HostCatalogTests : IAsyncLifetime
{
    private static readonly Actor Operator = new("operator@example.test", "10.0.0.5");
    private readonly FakeHostEnrollment _enrollment = new();
    private readonly RecordingRefreshScheduler _refresh = new();
    private PortalTestHost _host = default!;
    private HostCatalog _catalog = default!;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(services: s =>
        {
            s.AddSingleton<IHostEnrollment>(_enrollment);
            s.AddSingleton<IHostRefreshScheduler>(_refresh);
        });
        _catalog = _host.GetScoped<HostCatalog>();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static HostInput Input(string name, string address, int port = 12443, IReadOnlyCollection<Guid>? groups = null, params string[] tags) =>
        new(name, address, port, groups ?? [], tags);

    private async Task<Guid> AddAsync(string name, string address, IReadOnlyCollection<Guid>? groups = null, params string[] tags)
    {
        var result = await _catalog.AddAsync(Input(name, address, groups: groups, tags: tags), Operator, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
        return result.HostId!.Value;
    }

    private async Task<Guid> AddGroupAsync(string name)
    {
        await using var db = _host.CreateDbContext();
        var group = new HostGroup { Name = name };
        db.HostGroups.Add(group);
        await db.SaveChangesAsync();
        return group.Id;
    }

    private async Task SetAsync(Guid hostId, Action<ManagedHost> change)
    {
        await using var db = _host.CreateDbContext();
        change(await db.Hosts.SingleAsync(h => h.Id == hostId));
        await db.SaveChangesAsync();
    }

    private async Task<List<string>> NamesAsync(HostFilter filter, HostSort? sort = null)
    {
        var page = await _catalog.GetPageAsync(filter, sort ?? new HostSort(), 0, 100, CancellationToken.None);
        return page.Items.Select(h => h.Name).ToList();
    }

    [Fact]
    public async Task AddAsync_ReturnsEnrollmentTicket_WhenHostIsCreated()
    {
        var result = await _catalog.AddAsync(Input("web01", "10.0.0.1"), Operator, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.NotNull(result.Ticket);
        Assert.Contains(result.Ticket.Token, result.Ticket.Command, StringComparison.Ordinal);
        var call = Assert.Single(_enrollment.Calls);
        Assert.Equal((result.HostId!.Value, Operator.Name, Operator.SourceAddress), call);
    }

    [Fact]
    public async Task AddAsync_StoresHostWithoutTicket_WhenNoEnrollmentIsRegistered()
    {
        await using var bare = await PortalTestHost.StartAsync();
        var catalog = bare.GetScoped<HostCatalog>();

        var result = await catalog.AddAsync(Input("web01", "10.0.0.1"), Operator, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Null(result.Ticket);
        Assert.False(catalog.CanEnroll);
        await using var db = bare.CreateDbContext();
        Assert.Equal("web01", (await db.Hosts.SingleAsync()).Name);
    }

    [Fact]
    public async Task AddAsync_RefusesWithMessage_WhenNameDiffersOnlyInCase()
    {
        await AddAsync("web01", "10.0.0.1");

        var result = await _catalog.AddAsync(Input("WEB01", "10.0.0.2"), Operator, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal("A host named 'web01' already exists.", result.FieldErrors[nameof(HostInput.Name)]);
        Assert.Single(_enrollment.Calls);
    }

    [Fact]
    public async Task AddAsync_RefusesWithMessage_WhenAddressBelongsToAnotherHost()
    {
        await AddAsync("web01", "Web01.Example.Test");

        var result = await _catalog.AddAsync(Input("web02", "web01.example.test"), Operator, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal("The address 'web01.example.test' already belongs to host 'web01'.", result.FieldErrors[nameof(HostInput.Address)]);
    }

    [Fact]
    public async Task UniqueIndex_RefusesDuplicateName_WhenCatalogIsBypassed()
    {
        await AddAsync("web01", "10.0.0.1");
        await using var db = _host.CreateDbContext();
        db.Hosts.Add(new ManagedHost { Name = "Web01", Address = "10.0.0.99" });

        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
    }

    [Theory]
    [InlineData("", "10.0.0.1", 12443, "Name")]
    [InlineData("web 01", "10.0.0.1", 12443, "Name")]
    [InlineData("web01", "", 12443, "Address")]
    [InlineData("web01", "10.0.0", 12443, "Address")]
    [InlineData("web01", "bad_host!.example", 12443, "Address")]
    [InlineData("web01", "10.0.0.1", 0, "AgentPort")]
    [InlineData("web01", "10.0.0.1", 65536, "AgentPort")]
    public async Task AddAsync_RefusesField_WhenInvalid(string name, string address, int port, string field)
    {
        var result = await _catalog.AddAsync(Input(name, address, port), Operator, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.True(result.FieldErrors.ContainsKey(field), $"expected an error for {field}: {result.Error}");
        await using var db = _host.CreateDbContext();
        Assert.Equal(0, await db.Hosts.CountAsync());
    }

    [Fact]
    public async Task AddAsync_RefusesTag_WhenLongerThan64Characters()
    {
        var result = await _catalog.AddAsync(Input("web01", "10.0.0.1", tags: new string('a', 65)), Operator, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("at most 64", result.FieldErrors[nameof(HostInput.Tags)], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddAsync_WritesAuditWithAfterState_WhenHostIsCreated()
    {
        var web = await AddGroupAsync("web");

        await AddAsync("web01", "10.0.0.1", [web], "Owner:Team-A");

        await using var db = _host.CreateDbContext();
        var entry = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.HostAdded);
        Assert.Equal(Operator.Name, entry.Actor);
        Assert.Equal("web01", entry.Target);
        Assert.Equal("10.0.0.5", entry.SourceAddress);
        Assert.Null(entry.BeforeJson);
        using var after = JsonDocument.Parse(entry.AfterJson!);
        Assert.Equal("web", after.RootElement.GetProperty("groups")[0].GetString());
        Assert.Equal("owner:team-a", after.RootElement.GetProperty("tags")[0].GetString());
    }

    [Fact]
    public async Task UpdateAsync_AuditsBeforeAndAfter_WhenAddressAndGroupsChange()
    {
        var web = await AddGroupAsync("web");
        var db1 = await AddGroupAsync("db");
        var id = await AddAsync("web01", "10.0.0.1", [web]);

        var result = await _catalog.UpdateAsync(id, Input("web01", "10.0.0.9", 2222, [db1], "blue"), Operator, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error);
        await using var db = _host.CreateDbContext();
        var entry = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.HostEdited);
        Assert.Contains("\"address\":\"10.0.0.1\"", entry.BeforeJson, StringComparison.Ordinal);
        Assert.Contains("\"groups\":[\"web\"]", entry.BeforeJson, StringComparison.Ordinal);
        Assert.Contains("\"address\":\"10.0.0.9\"", entry.AfterJson, StringComparison.Ordinal);
        Assert.Contains("\"agentPort\":2222", entry.AfterJson, StringComparison.Ordinal);
        Assert.Contains("\"groups\":[\"db\"]", entry.AfterJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_AllowsOwnNameInOtherCase_WhenRenaming()
    {
        var id = await AddAsync("web01", "10.0.0.1");

        var result = await _catalog.UpdateAsync(id, Input("WEB01", "10.0.0.1"), Operator, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public async Task UpdateAsync_RefusesName_WhenAnotherHostHasIt()
    {
        await AddAsync("web01", "10.0.0.1");
        var id = await AddAsync("web02", "10.0.0.2");

        var result = await _catalog.UpdateAsync(id, Input("web01", "10.0.0.2"), Operator, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.True(result.FieldErrors.ContainsKey(nameof(HostInput.Name)));
    }

    [Fact]
    public async Task RemoveAsync_DeletesInventoryAndAuditsBefore_WhenHostHasPackages()
    {
        var id = await AddAsync("web01", "10.0.0.1");
        var keep = await AddAsync("web02", "10.0.0.2");
        await using (var seed = _host.CreateDbContext())
        {
            seed.InstalledPackages.AddRange(
                new InstalledPackage { HostId = id, Name = "openssl", Version = "3.0.1" },
                new InstalledPackage { HostId = keep, Name = "openssl", Version = "3.0.1" });
            seed.PendingUpdates.Add(new PendingUpdate { HostId = id, PackageName = "openssl", CandidateVersion = "3.0.2", IsSecurity = true });
            seed.HealthSamples.Add(new HealthSample { HostId = id, Health = HostHealth.Healthy });
            await seed.SaveChangesAsync();
        }

        var result = await _catalog.RemoveAsync(id, Operator, CancellationToken.None);

        Assert.True(result.Succeeded);
        await using var db = _host.CreateDbContext();
        Assert.False(await db.Hosts.AnyAsync(h => h.Id == id));
        Assert.Equal([keep], await db.InstalledPackages.Select(p => p.HostId).ToListAsync());
        Assert.False(await db.PendingUpdates.AnyAsync());
        Assert.False(await db.HealthSamples.AnyAsync());
        var entry = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.HostRemoved);
        Assert.Contains("\"installedPackages\":1", entry.BeforeJson, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"web01\"", entry.BeforeJson, StringComparison.Ordinal);
        Assert.Null(entry.AfterJson);
    }

    [Fact]
    public async Task AssignAsync_AddsGroupsAndTagsKeepingExisting_WhenHostsAreSelected()
    {
        var web = await AddGroupAsync("web");
        var prod = await AddGroupAsync("prod");
        var a = await AddAsync("web01", "10.0.0.1", [web], "old");
        var b = await AddAsync("web02", "10.0.0.2");
        var untouched = await AddAsync("db01", "10.0.0.3");

        var result = await _catalog.AssignAsync([a, b], [prod], ["new", "Old"], Operator, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(2, result.Changed);
        var first = (await _catalog.GetDetailAsync(a, CancellationToken.None))!;
        Assert.Equal(["prod", "web"], first.Groups.Select(g => g.Name));
        Assert.Equal(["new", "old"], first.Tags);
        Assert.Equal(["new", "old"], (await _catalog.GetDetailAsync(b, CancellationToken.None))!.Tags);
        Assert.Empty((await _catalog.GetDetailAsync(untouched, CancellationToken.None))!.Tags);
        await using var db = _host.CreateDbContext();
        Assert.Equal(2, await db.AuditEvents.CountAsync(e => e.Action == AuditActions.HostsAssigned));
        Assert.Equal(2, await db.Tags.CountAsync());
    }

    [Fact]
    public async Task AssignAsync_PublishesChangePerHost_WhenHostsChange()
    {
        var a = await AddAsync("web01", "10.0.0.1");
        var b = await AddAsync("web02", "10.0.0.2");
        var seen = new List<HostChanged>();
        using var subscription = _host.Services.GetRequiredService<HostEventHub>().Subscribe(seen.Add);

        await _catalog.AssignAsync([a, b], [], ["blue"], Operator, CancellationToken.None);

        Assert.Equal([a, b], seen.Select(c => c.HostId).Order());
    }

    [Fact]
    public async Task GetPageAsync_FiltersByEveryCriterion_WhenCombinedWithSearch()
    {
        var web = await AddGroupAsync("web");
        var a = await AddAsync("web01", "10.0.0.1", [web], "blue");
        var b = await AddAsync("web02", "10.0.0.2", [web]);
        var c = await AddAsync("db01", "db01.example.test");
        var now = DateTimeOffset.UtcNow;
        await SetAsync(a, h => { h.Health = HostHealth.Unreachable; h.PendingSecurityCount = 3; h.OsName = "Debian GNU/Linux"; h.InventoryRefreshedAt = now; });
        await SetAsync(b, h => { h.Health = HostHealth.Healthy; h.RebootRequired = true; h.InventoryRefreshedAt = now.AddHours(-48); });
        await SetAsync(c, h => { h.Health = HostHealth.Healthy; h.OsName = "Rocky Linux"; h.InventoryRefreshedAt = now; });

        Assert.Equal(["web01", "web02"], await NamesAsync(new HostFilter(Group: "web")));
        Assert.Equal(["web01"], await NamesAsync(new HostFilter(Tag: "BLUE")));
        Assert.Equal(["db01"], await NamesAsync(new HostFilter(Os: "Rocky Linux")));
        Assert.Equal(["web01"], await NamesAsync(new HostFilter(Health: HostHealth.Unreachable)));
        Assert.Equal(["web01"], await NamesAsync(new HostFilter(SecurityUpdates: true)));
        Assert.Equal(["web02"], await NamesAsync(new HostFilter(RebootRequired: true)));
        Assert.Equal(["web02"], await NamesAsync(new HostFilter(Stale: true)));
        Assert.Equal(["db01"], await NamesAsync(new HostFilter(Search: "EXAMPLE.test")));
        Assert.Empty(await NamesAsync(new HostFilter(Group: "web", Health: HostHealth.Unreachable, RebootRequired: true)));
    }

    [Fact]
    public async Task GetPageAsync_TreatsNeverRefreshedAsStale_WhenStaleFilterIsOn()
    {
        await AddAsync("new01", "10.0.0.1");

        Assert.Equal(["new01"], await NamesAsync(new HostFilter(Stale: true)));
    }

    [Fact]
    public async Task GetPageAsync_SortsAndPages_WhenSortedByLastSeenDescending()
    {
        var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 5; i++)
        {
            var id = await AddAsync($"h{i}", $"10.0.1.{i}");
            // Offsets differ on purpose: the order must follow the instant, not the local clock time.
            var seen = start.AddHours(i);
            await SetAsync(id, h => h.LastSeenAt = seen.ToOffset(TimeSpan.FromHours(i % 2 == 0 ? 5 : -5)));
        }

        var page = await _catalog.GetPageAsync(new HostFilter(), new HostSort(HostSort.LastSeen, Descending: true), 1, 2, CancellationToken.None);

        Assert.Equal(5, page.Total);
        Assert.Equal(["h2", "h1"], page.Items.Select(h => h.Name));
    }

    [Fact]
    public async Task GetPageAsync_PutsWorstHealthFirst_WhenSortedByHealth()
    {
        foreach (var (name, health) in new[] { ("a", HostHealth.Healthy), ("b", HostHealth.Unreachable), ("c", HostHealth.Degraded), ("d", HostHealth.Unknown) })
        {
            var id = await AddAsync(name, $"{name}.example.test");
            await SetAsync(id, h => h.Health = health);
        }

        Assert.Equal(["b", "c", "d", "a"], await NamesAsync(new HostFilter(), new HostSort(HostSort.Health)));
    }

    [Fact]
    public async Task GetPendingUpdatesAsync_ListsSecurityFirst_WhenMixed()
    {
        var id = await AddAsync("web01", "10.0.0.1");
        await using (var seed = _host.CreateDbContext())
        {
            seed.PendingUpdates.AddRange(
                new PendingUpdate { HostId = id, PackageName = "aaa", CandidateVersion = "2" },
                new PendingUpdate { HostId = id, PackageName = "zzz", CandidateVersion = "2", IsSecurity = true },
                new PendingUpdate { HostId = id, PackageName = "mmm", CandidateVersion = "2", IsSecurity = true });
            await seed.SaveChangesAsync();
        }

        var page = await _catalog.GetPendingUpdatesAsync(id, 0, 10, CancellationToken.None);

        Assert.Equal(["mmm", "zzz", "aaa"], page.Items.Select(u => u.PackageName));
    }

    [Fact]
    public async Task GetPackagesAsync_SearchesAndPages_WhenHostHasManyPackages()
    {
        var id = await AddAsync("web01", "10.0.0.1");
        await using (var seed = _host.CreateDbContext())
        {
            seed.InstalledPackages.AddRange(Enumerable.Range(0, 30).Select(i => new InstalledPackage { HostId = id, Name = $"lib{i:00}", Version = "1" }));
            seed.InstalledPackages.Add(new InstalledPackage { HostId = id, Name = "openssl", Version = "3" });
            await seed.SaveChangesAsync();
        }

        var page = await _catalog.GetPackagesAsync(id, "LIB2", new PackageSort(PackageSort.Name, Descending: true), 0, 5, CancellationToken.None);

        Assert.Equal(10, page.Total);
        Assert.Equal(["lib29", "lib28", "lib27", "lib26", "lib25"], page.Items.Select(p => p.Name));
    }

    [Fact]
    public async Task RequestRefresh_PassesSelectedHostsToScheduler_WhenSchedulerIsRegistered()
    {
        var a = await AddAsync("web01", "10.0.0.1");

        Assert.True(_catalog.RequestRefresh([a]));

        Assert.Equal([a], Assert.Single(_refresh.Requests));
    }
}
