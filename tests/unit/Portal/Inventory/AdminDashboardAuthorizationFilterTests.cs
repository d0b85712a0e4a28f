using System.Security.Claims;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.Storage.SQLite;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Inventory;

[Collection(HangfireGlobalState.Name)]
public sealed class AdminDashboardAuthorizationFilterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "patchportal-dashboard-auth-" + Guid.NewGuid().ToString("N"));
    private readonly SQLiteStorage _storage;
    private readonly ServiceProvider _services;

    public AdminDashboardAuthorizationFilterTests()
    {
        Directory.CreateDirectory(_dir);
        _storage = new SQLiteStorage(Path.Combine(_dir, "hangfire.db"), new SQLiteStorageOptions());
        _services = new ServiceCollection().AddLogging().AddAuthorization(PortalPolicies.Configure).BuildServiceProvider();
    }

    public void Dispose()
    {
        _services.Dispose();
        _storage.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task AuthorizeAsync_Allows_WhenUserIsAdmin() => Assert.True(await AuthorizeAsync(PortalRoles.Admin));

    [Theory]
    [InlineData(PortalRoles.Operator)]
    [InlineData(PortalRoles.Approver)]
    [InlineData(PortalRoles.Viewer)]
    public async Task AuthorizeAsync_Refuses_WhenUserIsNotAdmin(string role) => Assert.False(await AuthorizeAsync(role));

    [Fact]
    public async Task AuthorizeAsync_Refuses_WhenAnonymous() => Assert.False(await AuthorizeAsync(role: null));

    [Fact]
    public async Task AuthorizeAsync_Refuses_WhenAdminRoleClaimIsOnUnauthenticatedIdentity()
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Role, PortalRoles.Admin)]);

        Assert.False(await AuthorizeAsync(new ClaimsPrincipal(identity)));
    }

    private Task<bool> AuthorizeAsync(string? role) => AuthorizeAsync(new ClaimsPrincipal(role is null
        ? new ClaimsIdentity()
        : new ClaimsIdentity([new Claim(ClaimTypes.Name, "someone@example.test"), new Claim(ClaimTypes.Role, role)], "Identity.Application")));

    private async Task<bool> AuthorizeAsync(ClaimsPrincipal user)
    {
        var http = new DefaultHttpContext { RequestServices = _services, User = user };
        var context = new AspNetCoreDashboardContext(_storage, new DashboardOptions(), http);
        return await new AdminDashboardAuthorizationFilter().AuthorizeAsync(context);
    }
}
