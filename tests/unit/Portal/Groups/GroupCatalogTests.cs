using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Groups;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Tests.Unit.Portal.Groups;

public sealed class GroupCatalogTests : IAsyncLifetime
{
    private static readonly Actor Admin = new("admin@example.test", "10.0.0.7");
    private PortalTestHost _host = default!;
    private GroupCatalog _groups = default!;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync();
        _groups = _host.GetScoped<GroupCatalog>();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<Guid> CreateAsync(string name, GroupEnvironment environment = GroupEnvironment.Development, int approvals = 1)
    {
        var result = await _groups.CreateAsync(new GroupInput(name, null, environment, approvals), Admin, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
        await using var db = _host.CreateDbContext();
        return (await db.HostGroups.SingleAsync(g => g.Name == name)).Id;
    }

    [Fact]
    public async Task CreateAsync_RefusesName_WhenItDiffersOnlyInCase()
    {
        await CreateAsync("Web");

        var result = await _groups.CreateAsync(new GroupInput("web", null, GroupEnvironment.Staging, 1), Admin, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(nameof(GroupInput.Name), result.Field);
        Assert.Equal("A group named 'web' already exists.", result.Error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public async Task CreateAsync_RefusesApprovals_WhenOutsideOneToThree(int approvals)
    {
        var result = await _groups.CreateAsync(new GroupInput("prod", null, GroupEnvironment.Production, approvals), Admin, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(nameof(GroupInput.RequiredApprovals), result.Field);
    }

    [Fact]
    public async Task UpdateAsync_AuditsBeforeAndAfter_WhenApprovalsChange()
    {
        var id = await CreateAsync("prod", GroupEnvironment.Production, 2);

        await _groups.UpdateAsync(id, new GroupInput("prod", "the money", GroupEnvironment.Production, 3), Admin, CancellationToken.None);

        await using var db = _host.CreateDbContext();
        var entry = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.GroupEdited);
        Assert.Contains("\"requiredApprovals\":2", entry.BeforeJson, StringComparison.Ordinal);
        Assert.Contains("\"requiredApprovals\":3", entry.AfterJson, StringComparison.Ordinal);
        Assert.Equal(Admin.Name, entry.Actor);
    }

    [Fact]
    public async Task DeleteAsync_RefusesWithHostCount_WhenGroupHasHostsAndNotConfirmed()
    {
        var id = await CreateAsync("web");
        await _host.GetScoped<HostCatalog>().AddAsync(new HostInput("web01", "10.0.0.1", 12443, [id], []), Admin, CancellationToken.None);

        var result = await _groups.DeleteAsync(id, detachHosts: false, Admin, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.HostCount);
        await using var db = _host.CreateDbContext();
        Assert.True(await db.HostGroups.AnyAsync(g => g.Id == id));
    }

    [Fact]
    public async Task DeleteAsync_DetachesHostsAndAudits_WhenConfirmed()
    {
        var id = await CreateAsync("web");
        await _host.GetScoped<HostCatalog>().AddAsync(new HostInput("web01", "10.0.0.1", 12443, [id], []), Admin, CancellationToken.None);

        var result = await _groups.DeleteAsync(id, detachHosts: true, Admin, CancellationToken.None);

        Assert.True(result.Succeeded);
        await using var db = _host.CreateDbContext();
        Assert.False(await db.HostGroups.AnyAsync());
        Assert.False(await db.HostGroupMembers.AnyAsync());
        Assert.Equal(1, await db.Hosts.CountAsync());
        var entry = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.GroupDeleted);
        Assert.Contains("\"hosts\":[\"web01\"]", entry.BeforeJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetPageAsync_CountsMembers_WhenGroupsHaveHosts()
    {
        var web = await CreateAsync("web");
        await CreateAsync("empty");
        var hosts = _host.GetScoped<HostCatalog>();
        await hosts.AddAsync(new HostInput("web01", "10.0.0.1", 12443, [web], []), Admin, CancellationToken.None);
        await hosts.AddAsync(new HostInput("web02", "10.0.0.2", 12443, [web], []), Admin, CancellationToken.None);

        var page = await _groups.GetPageAsync(null, nameof(GroupRow.HostCount), true, 0, 10, CancellationToken.None);

        Assert.Equal([("web", 2), ("empty", 0)], page.Items.Select(g => (g.Name, g.HostCount)));
    }
}
