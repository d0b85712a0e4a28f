using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Account;

/// <summary>
/// Makes sure the roles exist and that there is an administrator. With Portal:Admin:Email and :Password the
/// admin is created from configuration; otherwise a one-time password is generated and written to the log once.
/// There is no built-in default password.
/// </summary>
internal sealed partial class AdminBootstrapper(
    IServiceScopeFactory scopes,
    IOptions<AdminBootstrapOptions> options,
    TimeProvider time,
    ILogger<AdminBootstrapper> logger)
{
    public const string GeneratedAdminEmail = "admin@patchportal.local";

    /// <summary>Creates the first admin if none exists; returns the generated password when one was made.</summary>
    public async Task<BootstrapResult> EnsureAdminAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var audit = scope.ServiceProvider.GetRequiredService<AuditLog>();

        foreach (var role in PortalRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                Check(await roles.CreateAsync(new IdentityRole(role)), $"create role {role}");
            }
        }

        if ((await users.GetUsersInRoleAsync(PortalRoles.Admin)).Count > 0)
        {
            return BootstrapResult.AdminExists;
        }

        var configured = options.Value;
        var fromConfiguration = !string.IsNullOrWhiteSpace(configured.Email) && !string.IsNullOrWhiteSpace(configured.Password);
        var email = fromConfiguration ? configured.Email! : GeneratedAdminEmail;
        var password = fromConfiguration ? configured.Password! : PasswordGenerator.Generate();

        var admin = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = time.GetUtcNow() };
        Check(await users.CreateAsync(admin, password), "create the first admin (check Portal:Admin:Password against the password rules)");
        Check(await users.AddToRoleAsync(admin, PortalRoles.Admin), "add the first admin to the Admin role");

        await audit.RecordAsync(new AuditEntry(AuditActions.UserCreated, "system", email)
        {
            After = new { email, role = PortalRoles.Admin, source = fromConfiguration ? "configuration" : "generated" },
        }, cancellationToken);

        if (fromConfiguration)
        {
            LogCreatedFromConfiguration(logger, email);
            return BootstrapResult.CreatedFromConfiguration;
        }

        LogGeneratedPassword(logger, email, password);
        return new BootstrapResult(true, password);
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not {what}: {string.Join("; ", result.Errors.Select(e => e.Description))}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first admin {Email} from configuration")]
    private static partial void LogCreatedFromConfiguration(ILogger logger, string email);

    // The one deliberate exception to "never log secrets": the only way to hand over a generated first password.
    [LoggerMessage(Level = LogLevel.Warning, Message = "No admin was configured: created {Email} with the one-time password {Password}; it is not shown again")]
    private static partial void LogGeneratedPassword(ILogger logger, string email, string password);
}

/// <summary>What the bootstrap did; <see cref="GeneratedPassword"/> is set only when it generated one.</summary>
internal sealed record BootstrapResult(bool Created, string? GeneratedPassword)
{
    public static BootstrapResult AdminExists { get; } = new(false, null);
    public static BootstrapResult CreatedFromConfiguration { get; } = new(true, null);
}

/// <summary>Runs the bootstrap at start-up, after the database migrator.</summary>
internal sealed class AdminBootstrapService(AdminBootstrapper bootstrapper) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => bootstrapper.EnsureAdminAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
