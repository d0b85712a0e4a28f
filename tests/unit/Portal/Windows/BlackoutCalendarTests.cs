using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Windows;
using static PatchPortal.Tests.Unit.Portal.Windows.WindowTestData;

namespace PatchPortal.Tests.Unit.Portal.Windows;

/// <summary>Blackout matching against the real SQLite schema: everything, or the host through itself, a group or a tag.</summary>
public sealed class BlackoutCalendarTests : IAsyncLifetime
{
    private static readonly DateTimeOffset From = Utc(2027, 12, 20, 0);
    private static readonly DateTimeOffset To = Utc(2028, 1, 2, 0);
    private PortalTestHost _host = default!;
    private IBlackoutCalendar _calendar = default!;
    private Guid _web01;
    private Guid _db01;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(addFeatures: b => b.AddWindows());
        _calendar = _host.Services.GetRequiredService<IBlackoutCalendar>();
        await using var db = _host.CreateDbContext();
        var web = new HostGroup { Name = "web" };
        var pci = new Tag { Name = "pci" };
        var web01 = new ManagedHost { Name = "web01", Address = "10.0.0.1" };
        web01.Groups.Add(web);
        var db01 = new ManagedHost { Name = "db01", Address = "10.0.0.2" };
        db01.Tags.Add(pci);
        db.AddRange(web, pci, web01, db01);
        await db.SaveChangesAsync();
        (_web01, _db01) = (web01.Id, db01.Id);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<Guid> AddBlackoutAsync(string name, Action<Blackout, PatchPortal.Portal.Data.PortalDbContext>? target = null, bool all = false)
    {
        await using var db = _host.CreateDbContext();
        var blackout = new Blackout { Name = name, StartsAt = From, EndsAt = To, AppliesToAll = all };
        target?.Invoke(blackout, db);
        db.Blackouts.Add(blackout);
        await db.SaveChangesAsync();
        return blackout.Id;
    }

    private Task<Blackout?> ActiveAsync(Guid hostId, DateTimeOffset at) => _calendar.ActiveForHostAsync(hostId, at, CancellationToken.None);

    [Fact]
    public async Task ActiveForHostAsync_ReturnsBlackout_WhenItAppliesToAll()
    {
        var id = await AddBlackoutAsync("freeze", all: true);

        Assert.Equal(id, (await ActiveAsync(_db01, Utc(2027, 12, 24, 12)))?.Id);
    }

    [Fact]
    public async Task ActiveForHostAsync_ReturnsBlackout_WhenItTargetsHostsGroup()
    {
        var id = await AddBlackoutAsync("web freeze", (b, db) => b.TargetGroups.Add(db.HostGroups.Single(g => g.Name == "web")));

        Assert.Equal(id, (await ActiveAsync(_web01, Utc(2027, 12, 24, 12)))?.Id);
        Assert.Null(await ActiveAsync(_db01, Utc(2027, 12, 24, 12)));
    }

    [Fact]
    public async Task ActiveForHostAsync_ReturnsBlackout_WhenItTargetsHostsTag()
    {
        var id = await AddBlackoutAsync("audit", (b, db) => b.TargetTags.Add(db.Tags.Single(t => t.Name == "pci")));

        Assert.Equal(id, (await ActiveAsync(_db01, Utc(2027, 12, 24, 12)))?.Id);
        Assert.Null(await ActiveAsync(_web01, Utc(2027, 12, 24, 12)));
    }

    [Fact]
    public async Task ActiveForHostAsync_ReturnsBlackout_WhenItNamesHost()
    {
        var id = await AddBlackoutAsync("db01 migration", (b, db) => b.TargetHosts.Add(db.Hosts.Single(h => h.Name == "db01")));

        Assert.Equal(id, (await ActiveAsync(_db01, Utc(2027, 12, 24, 12)))?.Id);
        Assert.Null(await ActiveAsync(_web01, Utc(2027, 12, 24, 12)));
    }

    [Fact]
    public async Task ActiveForHostAsync_ReturnsNull_WhenInstantIsAtEnd()
    {
        await AddBlackoutAsync("freeze", all: true);

        Assert.Null(await ActiveAsync(_web01, To));
    }

    [Fact]
    public async Task ActiveForHostAsync_ReturnsBlackout_WhenInstantIsAtStart()
    {
        var id = await AddBlackoutAsync("freeze", all: true);

        Assert.Equal(id, (await ActiveAsync(_web01, From))?.Id);
    }

    [Fact]
    public async Task ActiveForHostAsync_ReturnsNull_WhenInstantIsBeforeStart()
    {
        await AddBlackoutAsync("freeze", all: true);

        Assert.Null(await ActiveAsync(_web01, From.AddTicks(-1)));
    }
}
