using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Tests.Unit.Portal.Account;

public sealed class AdminBootstrapperTests
{
    [Fact]
    public async Task StartAsync_CreatesConfiguredAdmin_WhenEmailAndPasswordConfigured()
    {
        await using var host = await PortalTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Portal:Admin:Email"] = "root@example.test",
            ["Portal:Admin:Password"] = "Configured-Passw0rd",
        });
        await using var scope = host.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();

        var admin = await users.FindByEmailAsync("root@example.test");

        Assert.NotNull(admin);
        Assert.True(await users.IsInRoleAsync(admin, PortalRoles.Admin));
        Assert.True(await users.CheckPasswordAsync(admin, "Configured-Passw0rd"));
    }

    [Fact]
    public async Task EnsureAdminAsync_GeneratesDistinctWorkingPasswords_WhenNothingConfigured()
    {
        await using var first = await PortalTestHost.StartAsync();
        await using var second = await PortalTestHost.StartAsync();

        // Start-up already created the admins with a generated password; remove and bootstrap again to see it.
        var passwordOne = await RebootstrapAsync(first);
        var passwordTwo = await RebootstrapAsync(second);

        Assert.NotEqual(passwordOne, passwordTwo);
        Assert.True(passwordOne.Length >= 20);
        await using var scope = first.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var admin = await users.FindByEmailAsync(AdminBootstrapper.GeneratedAdminEmail);
        Assert.NotNull(admin);
        Assert.True(await users.CheckPasswordAsync(admin, passwordOne));
    }

    [Fact]
    public async Task EnsureAdminAsync_LeavesExistingAdminAlone_WhenAnAdminExists()
    {
        await using var host = await PortalTestHost.StartAsync();

        var result = await host.Services.GetRequiredService<AdminBootstrapper>().EnsureAdminAsync(CancellationToken.None);

        Assert.False(result.Created);
        Assert.Null(result.GeneratedPassword);
        await using var db = host.CreateDbContext();
        Assert.Equal(1, await db.Users.CountAsync());
    }

    [Fact]
    public async Task StartAsync_AuditsAdminCreation_WhenAdminIsGenerated()
    {
        await using var host = await PortalTestHost.StartAsync();
        await using var db = host.CreateDbContext();

        var created = await db.AuditEvents.SingleAsync(e => e.Action == AuditActions.UserCreated);

        Assert.Equal("system", created.Actor);
        Assert.Contains("generated", created.AfterJson, StringComparison.Ordinal);
        Assert.DoesNotContain("password", created.AfterJson!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task StartAsync_Fails_WhenConfiguredPasswordBreaksPasswordRules()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PortalTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Portal:Admin:Email"] = "root@example.test",
            ["Portal:Admin:Password"] = "short",
        }));

        Assert.Contains("Portal:Admin:Password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_Fails_WhenConfiguredAdminEmailIsInvalid()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => PortalTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Portal:Admin:Email"] = "not-an-email",
            ["Portal:Admin:Password"] = "Configured-Passw0rd",
        }));

        Assert.Contains("Email", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> RebootstrapAsync(PortalTestHost host)
    {
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var existing = await users.FindByEmailAsync(AdminBootstrapper.GeneratedAdminEmail);
            Assert.NotNull(existing);
            await users.DeleteAsync(existing);
        }

        var result = await host.Services.GetRequiredService<AdminBootstrapper>().EnsureAdminAsync(CancellationToken.None);
        Assert.True(result.Created);
        return result.GeneratedPassword ?? throw new InvalidOperationException("no password was generated");
    }
}
