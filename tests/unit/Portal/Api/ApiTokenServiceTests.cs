using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Api.Tokens;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Tests.Unit.Portal.Api;

/// <summary>API tokens: hashed at rest, scoped no wider than the role, expiring, revocable, and dead with a locked user.</summary>
public sealed class ApiTokenServiceTests : IAsyncLifetime
{
    private const string OperatorEmail = "operator@example.test";
    private const string ViewerEmail = "viewer@example.test";
    private static readonly Actor Admin = new("admin@example.test", null);
    private static readonly Actor Operator = new(OperatorEmail, "10.0.0.5");
    private static readonly Actor Viewer = new(ViewerEmail, "10.0.0.6");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2027, 1, 10, 9, 0, 0, TimeSpan.Zero));
    private PortalTestHost _host = default!;
    private ApiTokenService _tokens = default!;
    private UserAdministration _users = default!;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(services: s => s.AddSingleton<TimeProvider>(_time).AddSingleton<ApiTokenService>());
        _tokens = _host.Services.GetRequiredService<ApiTokenService>();
        _users = _host.Services.GetRequiredService<UserAdministration>();
        Assert.True((await _users.CreateAsync(OperatorEmail, PortalRoles.Operator, Admin, CancellationToken.None)).Succeeded);
        Assert.True((await _users.CreateAsync(ViewerEmail, PortalRoles.Viewer, Admin, CancellationToken.None)).Succeeded);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData(PortalRoles.Viewer, ApiTokenScopes.Write)]
    [InlineData(PortalRoles.Viewer, ApiTokenScopes.Approve)]
    [InlineData(PortalRoles.Operator, ApiTokenScopes.Approve)]
    [InlineData(PortalRoles.Approver, ApiTokenScopes.Write)]
    public void Validate_RefusesScope_WhenTheRoleDoesNotAllowIt(string role, ApiTokenScopes scope)
    {
        var errors = ApiTokenService.Validate(new ApiTokenRequest("script", ApiTokenScopes.Read | scope, 30), role);

        Assert.Contains("never has more rights than its user", errors["Scopes"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 30, "Name")]
    [InlineData("script", 0, "ExpiresInDays")]
    [InlineData("script", 366, "ExpiresInDays")]
    [InlineData("bad\u0007name", 30, "Name")]
    public void Validate_RefusesNameOrLifetime_WhenOutOfBounds(string name, int days, string field)
    {
        Assert.True(ApiTokenService.Validate(new ApiTokenRequest(name, ApiTokenScopes.Read, days), PortalRoles.Admin).ContainsKey(field));
    }

    [Fact]
    public async Task CreateAsync_StoresOnlyTheHash_AndTheSecretAuthenticatesAsTheUser()
    {
        var created = await _tokens.CreateAsync(new ApiTokenRequest("deploy", ApiTokenScopes.Read | ApiTokenScopes.Write, 30), Operator, CancellationToken.None);

        Assert.True(created.Succeeded, created.Error);
        await using (var db = _host.CreateDbContext())
        {
            var stored = await db.ApiTokens.SingleAsync();
            Assert.Equal(ApiTokenService.Hash(created.Secret!), stored.TokenHash);
            Assert.DoesNotContain(created.Secret!, stored.TokenHash + stored.Prefix, StringComparison.Ordinal);
            Assert.StartsWith(stored.Prefix, created.Secret, StringComparison.Ordinal);
        }

        var (identity, refusal) = await _tokens.AuthenticateAsync(created.Secret!, "10.0.0.7", CancellationToken.None);
        Assert.Null(refusal);
        Assert.Equal(OperatorEmail, identity!.UserName);
        Assert.Equal(PortalRoles.Operator, identity.Role);
        Assert.Equal(ApiTokenScopes.Read | ApiTokenScopes.Write, identity.Scopes);
        var row = (await _tokens.ListAsync(OperatorEmail, CancellationToken.None)).Single();
        Assert.Equal(_time.GetUtcNow(), row.LastUsedAt);
        Assert.Equal("10.0.0.7", row.LastUsedFrom);
    }

    [Fact]
    public async Task AuthenticateAsync_Refuses_WhenTheTokenHasExpired()
    {
        var created = await _tokens.CreateAsync(new ApiTokenRequest("short", ApiTokenScopes.Read, 1), Viewer, CancellationToken.None);

        _time.Advance(TimeSpan.FromDays(1));

        var (identity, refusal) = await _tokens.AuthenticateAsync(created.Secret!, null, CancellationToken.None);
        Assert.Null(identity);
        Assert.Contains("expired", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticateAsync_Refuses_WhenTheUserIsLockedOut()
    {
        var created = await _tokens.CreateAsync(new ApiTokenRequest("nightly", ApiTokenScopes.Read, 30), Viewer, CancellationToken.None);
        await using (var db = _host.CreateDbContext())
        {
            var viewer = await db.Users.SingleAsync(u => u.Email == ViewerEmail);
            Assert.True((await _users.LockAsync(viewer.Id, Admin, CancellationToken.None)).Succeeded);
        }

        var (identity, refusal) = await _tokens.AuthenticateAsync(created.Secret!, null, CancellationToken.None);
        Assert.Null(identity);
        Assert.Contains("locked out", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticateAsync_NarrowsScopesToTheCurrentRole_WhenTheUserWasDemoted()
    {
        var created = await _tokens.CreateAsync(new ApiTokenRequest("deploy", ApiTokenScopes.Read | ApiTokenScopes.Write, 30), Operator, CancellationToken.None);
        await using (var db = _host.CreateDbContext())
        {
            var user = await db.Users.SingleAsync(u => u.Email == OperatorEmail);
            Assert.True((await _users.ChangeRoleAsync(user.Id, PortalRoles.Viewer, Admin, CancellationToken.None)).Succeeded);
        }

        var (identity, _) = await _tokens.AuthenticateAsync(created.Secret!, null, CancellationToken.None);
        Assert.Equal(PortalRoles.Viewer, identity!.Role);
        Assert.Equal(ApiTokenScopes.Read, identity.Scopes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("pp_")]
    [InlineData("pp_abc def")]
    [InlineData("ghp_0123456789")]
    [InlineData("pp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task AuthenticateAsync_Refuses_WhenTheSecretIsMalformedOrUnknown(string secret)
    {
        var (identity, refusal) = await _tokens.AuthenticateAsync(secret, null, CancellationToken.None);

        Assert.Null(identity);
        Assert.NotNull(refusal);
    }

    [Fact]
    public async Task RevokeAsync_StopsTheToken_AndOnlyItsOwnerOrAnAdminMayRevoke()
    {
        var created = await _tokens.CreateAsync(new ApiTokenRequest("deploy", ApiTokenScopes.Read, 30), Operator, CancellationToken.None);
        var id = created.Token!.Id;

        var (byViewer, _) = await _tokens.RevokeAsync(id, Viewer, actorIsAdmin: false, CancellationToken.None);
        Assert.False(byViewer);
        Assert.NotNull((await _tokens.AuthenticateAsync(created.Secret!, null, CancellationToken.None)).Identity);

        var (byAdmin, _) = await _tokens.RevokeAsync(id, Admin, actorIsAdmin: true, CancellationToken.None);
        Assert.True(byAdmin);
        var (identity, refusal) = await _tokens.AuthenticateAsync(created.Secret!, null, CancellationToken.None);
        Assert.Null(identity);
        Assert.Contains("revoked", refusal, StringComparison.Ordinal);
        Assert.False((await _tokens.RevokeAsync(id, Admin, actorIsAdmin: true, CancellationToken.None)).Succeeded);

        await using var db = _host.CreateDbContext();
        var actions = await db.AuditEvents.Where(e => e.Action.StartsWith("api-token.")).Select(e => e.Action + " " + e.Actor).ToListAsync();
        Assert.Equal([$"{AuditActions.ApiTokenCreated} {OperatorEmail}", $"{AuditActions.ApiTokenRevoked} {Admin.Name}"], actions);
    }

    [Fact]
    public async Task CreateAsync_Refuses_WhenTheNameIsTakenOrTheUserHasTheMostTokens()
    {
        Assert.True((await _tokens.CreateAsync(new ApiTokenRequest("t0", ApiTokenScopes.Read, 30), Viewer, CancellationToken.None)).Succeeded);
        Assert.Contains("already have a token named", (await _tokens.CreateAsync(new ApiTokenRequest("t0", ApiTokenScopes.Read, 30), Viewer, CancellationToken.None)).Error, StringComparison.Ordinal);
        for (var i = 1; i < ApiTokenService.MaxActivePerUser; i++)
        {
            Assert.True((await _tokens.CreateAsync(new ApiTokenRequest($"t{i}", ApiTokenScopes.Read, 30), Viewer, CancellationToken.None)).Succeeded);
        }

        var refused = await _tokens.CreateAsync(new ApiTokenRequest("one-too-many", ApiTokenScopes.Read, 30), Viewer, CancellationToken.None);
        Assert.False(refused.Succeeded);
        Assert.Contains("the most allowed", refused.Error, StringComparison.Ordinal);
    }
}
