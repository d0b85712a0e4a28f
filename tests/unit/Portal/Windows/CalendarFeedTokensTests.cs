using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Tests.Unit.Portal.Windows;

/// <summary>Feed tokens: stored as SHA-256 only, revoked by regeneration and by locking the user out, audited.</summary>
public sealed class CalendarFeedTokensTests : IAsyncLifetime
{
    private const string Email = "viewer@example.test";
    private static readonly Actor Admin = new("admin@example.test", null);
    private static readonly Actor Viewer = new(Email, "10.0.0.9");
    private PortalTestHost _host = default!;
    private CalendarFeedTokens _tokens = default!;
    private string _userId = "";

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync(addFeatures: b => b.AddWindows());
        _tokens = _host.Services.GetRequiredService<CalendarFeedTokens>();
        var users = _host.Services.GetRequiredService<UserAdministration>();
        Assert.True((await users.CreateAsync(Email, PortalRoles.Viewer, Admin, CancellationToken.None)).Succeeded);
        await using var db = _host.CreateDbContext();
        _userId = (await db.Users.SingleAsync(u => u.Email == Email)).Id;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task IssueAsync_StoresOnlySha256OfToken_WhenIssued()
    {
        var token = await _tokens.IssueAsync(Viewer, CancellationToken.None);

        await using var db = _host.CreateDbContext();
        var stored = (await db.Users.SingleAsync(u => u.Id == _userId)).CalendarFeedTokenHash;
        Assert.NotNull(token);
        Assert.Equal(64, stored!.Length);
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token))), stored);
    }

    [Fact]
    public async Task AuthenticateAsync_ReturnsUser_WhenTokenIsCurrent()
    {
        var token = await _tokens.IssueAsync(Viewer, CancellationToken.None);

        Assert.Equal(Email, await _tokens.AuthenticateAsync(token, CancellationToken.None));
    }

    [Fact]
    public async Task AuthenticateAsync_ReturnsNull_WhenTokenWasRegenerated()
    {
        var old = await _tokens.IssueAsync(Viewer, CancellationToken.None);
        var current = await _tokens.IssueAsync(Viewer, CancellationToken.None);

        Assert.Null(await _tokens.AuthenticateAsync(old, CancellationToken.None));
        Assert.Equal(Email, await _tokens.AuthenticateAsync(current, CancellationToken.None));
    }

    [Fact]
    public async Task AuthenticateAsync_ReturnsNull_WhenUserIsLockedOut()
    {
        var token = await _tokens.IssueAsync(Viewer, CancellationToken.None);

        await _host.Services.GetRequiredService<UserAdministration>().LockAsync(_userId, Admin, CancellationToken.None);

        Assert.Null(await _tokens.AuthenticateAsync(token, CancellationToken.None));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-token")]
    public async Task AuthenticateAsync_ReturnsNull_WhenTokenIsUnknown(string? token)
    {
        await _tokens.IssueAsync(Viewer, CancellationToken.None);

        Assert.Null(await _tokens.AuthenticateAsync(token, CancellationToken.None));
    }

    [Fact]
    public async Task IssueAsync_AuditsRevocation_WhenTokenIsRegenerated()
    {
        await _tokens.IssueAsync(Viewer, CancellationToken.None);
        await _tokens.IssueAsync(Viewer, CancellationToken.None);

        await using var db = _host.CreateDbContext();
        var entries = await db.AuditEvents.Where(e => e.Action == AuditActions.CalendarFeedTokenIssued).OrderBy(e => e.Id).ToListAsync();
        Assert.Equal(2, entries.Count);
        Assert.Contains("\"revokedPrevious\":true", entries[1].AfterJson, StringComparison.Ordinal);
        Assert.Equal("10.0.0.9", entries[1].SourceAddress);
    }
}
