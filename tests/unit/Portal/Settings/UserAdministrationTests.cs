using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Tests.Unit.Portal.Settings;

public sealed class UserAdministrationTests : IAsyncLifetime
{
    private static readonly Actor Admin = new("admin@example.test", "127.0.0.5");
    private PortalTestHost _host = default!;
    private UserAdministration _users = default!;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Portal:Admin:Email"] = Admin.Name,
            ["Portal:Admin:Password"] = "Admin-Passw0rd-1",
        });
        _users = _host.Services.GetRequiredService<UserAdministration>();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task CreateAsync_ReturnsWorkingOneTimePassword_WhenEmailIsNew()
    {
        var result = await _users.CreateAsync("new@example.test", PortalRoles.Viewer, Admin, CancellationToken.None);

        Assert.True(result.Succeeded);
        await using var scope = _host.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await manager.FindByEmailAsync("new@example.test");
        Assert.NotNull(user);
        Assert.True(await manager.CheckPasswordAsync(user, result.Password!));
        Assert.True(await manager.IsInRoleAsync(user, PortalRoles.Viewer));
    }

    [Fact]
    public async Task CreateAsync_Fails_WhenEmailAlreadyExists()
    {
        await _users.CreateAsync("dup@example.test", PortalRoles.Viewer, Admin, CancellationToken.None);

        var result = await _users.CreateAsync("DUP@example.test", PortalRoles.Operator, Admin, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("already exists", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangeRoleAsync_AuditsBeforeAndAfter_WhenRoleChanges()
    {
        await _users.CreateAsync("role@example.test", PortalRoles.Viewer, Admin, CancellationToken.None);
        var id = await IdOfAsync("role@example.test");

        var result = await _users.ChangeRoleAsync(id, PortalRoles.Approver, Admin, CancellationToken.None);

        Assert.True(result.Succeeded);
        await using var db = _host.CreateDbContext();
        var audit = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.UserRoleChanged);
        Assert.Equal(Admin.Name, audit.Actor);
        Assert.Equal("127.0.0.5", audit.SourceAddress);
        Assert.Equal("""{"roles":["Viewer"]}""", audit.BeforeJson);
        Assert.Equal("""{"roles":["Approver"]}""", audit.AfterJson);
    }

    [Fact]
    public async Task LockAsync_Refuses_WhenAdminLocksThemselves()
    {
        var result = await _users.LockAsync(await IdOfAsync(Admin.Name), Admin, CancellationToken.None);

        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task LockAsync_PreventsSignIn_UntilUnlocked()
    {
        var created = await _users.CreateAsync("lock@example.test", PortalRoles.Viewer, Admin, CancellationToken.None);
        var id = await IdOfAsync("lock@example.test");

        await _users.LockAsync(id, Admin, CancellationToken.None);
        var lockedPage = await _users.GetPageAsync("lock@", null, false, 0, 10, CancellationToken.None);
        await _users.UnlockAsync(id, Admin, CancellationToken.None);
        var unlockedPage = await _users.GetPageAsync("lock@", null, false, 0, 10, CancellationToken.None);

        Assert.True(lockedPage.Items.Single().IsLocked(DateTimeOffset.UtcNow));
        Assert.False(unlockedPage.Items.Single().IsLocked(DateTimeOffset.UtcNow));
        Assert.NotNull(created.Password);
    }

    [Fact]
    public async Task ResetPasswordAsync_NeverRecordsThePassword_WhenAudited()
    {
        await _users.CreateAsync("reset@example.test", PortalRoles.Viewer, Admin, CancellationToken.None);

        var result = await _users.ResetPasswordAsync(await IdOfAsync("reset@example.test"), Admin, CancellationToken.None);

        Assert.True(result.Succeeded);
        await using var db = _host.CreateDbContext();
        var audit = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.UserPasswordReset);
        Assert.DoesNotContain(result.Password!, audit.AfterJson ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetPageAsync_SortsByRoleInSql_WhenAskedForRoleDescending()
    {
        await _users.CreateAsync("a@example.test", PortalRoles.Approver, Admin, CancellationToken.None);
        await _users.CreateAsync("v@example.test", PortalRoles.Viewer, Admin, CancellationToken.None);
        await _users.CreateAsync("o@example.test", PortalRoles.Operator, Admin, CancellationToken.None);

        var (items, total) = await _users.GetPageAsync(null, nameof(UserRow.Role), true, 0, 2, CancellationToken.None);

        Assert.Equal(4, total);
        Assert.Equal([PortalRoles.Viewer, PortalRoles.Operator], items.Select(i => i.Role));
    }

    private async Task<string> IdOfAsync(string email)
    {
        await using var db = _host.CreateDbContext();
        return await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
    }
}
