using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Settings.Users;

/// <summary>A user as the Users page lists it.</summary>
public sealed record UserRow(string Id, string Email, string? Role, DateTimeOffset CreatedAt, DateTimeOffset? LockedUntil, int FailedSignIns)
{
    public bool IsLocked(DateTimeOffset now) => LockedUntil is { } until && until > now;
}

/// <summary>The outcome of a change; <see cref="Password"/> carries a generated password to show once.</summary>
public sealed record UserChangeResult(bool Succeeded, string? Error = null, string? Password = null)
{
    public static UserChangeResult Ok(string? password = null) => new(true, null, password);

    public static UserChangeResult Fail(string error) => new(false, error);
}

/// <summary>
/// Lists and changes users for the Users page. Each operation runs in its own scope (a fresh UserManager and
/// DbContext), because a circuit lives far longer than one unit of work. Every change is audited.
/// </summary>
public sealed class UserAdministration(
    IDbContextFactory<PortalDbContext> factory,
    IServiceScopeFactory scopes,
    AuditLog audit,
    TimeProvider time)
{
    public async Task<(IReadOnlyList<UserRow> Items, int Total)> GetPageAsync(
        string? search, string? sortBy, bool descending, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = from u in db.Users.AsNoTracking()
                   let role = (from ur in db.UserRoles
                               join r in db.Roles on ur.RoleId equals r.Id
                               where ur.UserId == u.Id
                               select r).FirstOrDefault()
                   select new { User = u, Role = role };
        if (!string.IsNullOrWhiteSpace(search))
        {
            // Identity keeps upper-cased copies of email and role name: a case-insensitive match on any provider.
            var term = search.Trim().ToUpperInvariant();
            rows = rows.Where(x => x.User.NormalizedEmail!.Contains(term) || (x.Role != null && x.Role.NormalizedName!.Contains(term)));
        }

        // An anonymous type (not the record) so EF can still sort on its members in SQL.
        var projected = rows.Select(x => new
        {
            x.User.Id,
            Email = x.User.Email ?? x.User.UserName ?? "",
            Role = x.Role == null ? null : x.Role.Name,
            x.User.CreatedAt,
            LockedUntil = x.User.LockoutEnd,
            x.User.AccessFailedCount,
        });

        var total = await projected.CountAsync(cancellationToken);
        projected = (sortBy, descending) switch
        {
            (nameof(UserRow.Role), false) => projected.OrderBy(r => r.Role).ThenBy(r => r.Email),
            (nameof(UserRow.Role), true) => projected.OrderByDescending(r => r.Role).ThenBy(r => r.Email),
            (nameof(UserRow.CreatedAt), false) => projected.OrderBy(r => r.CreatedAt),
            (nameof(UserRow.CreatedAt), true) => projected.OrderByDescending(r => r.CreatedAt),
            (nameof(UserRow.LockedUntil), false) => projected.OrderBy(r => r.LockedUntil).ThenBy(r => r.Email),
            (nameof(UserRow.LockedUntil), true) => projected.OrderByDescending(r => r.LockedUntil).ThenBy(r => r.Email),
            (_, true) => projected.OrderByDescending(r => r.Email),
            _ => projected.OrderBy(r => r.Email),
        };
        var items = await projected.Skip(page * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return (items.ConvertAll(x => new UserRow(x.Id, x.Email, x.Role, x.CreatedAt, x.LockedUntil, x.AccessFailedCount)), total);
    }

    /// <summary>Creates a user with a role and a generated password, returned once.</summary>
    public async Task<UserChangeResult> CreateAsync(string email, string role, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!PortalRoles.All.Contains(role))
        {
            return UserChangeResult.Fail($"Unknown role '{role}'.");
        }

        email = email.Trim();
        await using var scope = scopes.CreateAsyncScope();
        var (users, db) = Services(scope);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await users.FindByEmailAsync(email) is not null)
        {
            return UserChangeResult.Fail($"A user with the email {email} already exists.");
        }

        var password = PasswordGenerator.Generate();
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = time.GetUtcNow() };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            return UserChangeResult.Fail(Describe(created));
        }

        var added = await users.AddToRoleAsync(user, role);
        if (!added.Succeeded)
        {
            return UserChangeResult.Fail(Describe(added)); // the transaction rolls the new user back
        }

        await CommitAsync(db, AuditActions.UserCreated, actor, email, null, new { email, role }, cancellationToken);
        return UserChangeResult.Ok(password);
    }

    public async Task<UserChangeResult> ChangeRoleAsync(string userId, string role, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!PortalRoles.All.Contains(role))
        {
            return UserChangeResult.Fail($"Unknown role '{role}'.");
        }

        await using var scope = scopes.CreateAsyncScope();
        var (users, db) = Services(scope);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await users.FindByIdAsync(userId) is not { } user)
        {
            return UserChangeResult.Fail("The user no longer exists.");
        }

        if (IsSelf(user, actor))
        {
            return UserChangeResult.Fail("You cannot change your own role.");
        }

        var before = await users.GetRolesAsync(user);
        if (before.Count == 1 && before[0] == role)
        {
            return UserChangeResult.Ok();
        }

        var removed = await users.RemoveFromRolesAsync(user, before);
        var added = removed.Succeeded ? await users.AddToRoleAsync(user, role) : removed;
        if (!added.Succeeded)
        {
            return UserChangeResult.Fail(Describe(added));
        }

        // A new stamp ends the user's current sessions within the revalidation interval.
        await users.UpdateSecurityStampAsync(user);
        await CommitAsync(db, AuditActions.UserRoleChanged, actor, user.Email, new { roles = before }, new { roles = new[] { role } }, cancellationToken);
        return UserChangeResult.Ok();
    }

    public async Task<UserChangeResult> LockAsync(string userId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = scopes.CreateAsyncScope();
        var (users, db) = Services(scope);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await users.FindByIdAsync(userId) is not { } user)
        {
            return UserChangeResult.Fail("The user no longer exists.");
        }

        if (IsSelf(user, actor))
        {
            return UserChangeResult.Fail("You cannot lock your own account.");
        }

        var before = user.LockoutEnd;
        var result = await users.SetLockoutEnabledAsync(user, true);
        if (result.Succeeded)
        {
            result = await users.SetLockoutEndDateAsync(user, DateTimeOffset.MaxValue);
        }

        if (!result.Succeeded)
        {
            return UserChangeResult.Fail(Describe(result));
        }

        await users.UpdateSecurityStampAsync(user);
        await CommitAsync(db, AuditActions.UserLocked, actor, user.Email, new { lockedUntil = before }, new { lockedUntil = "indefinitely" }, cancellationToken);
        return UserChangeResult.Ok();
    }

    public async Task<UserChangeResult> UnlockAsync(string userId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = scopes.CreateAsyncScope();
        var (users, db) = Services(scope);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await users.FindByIdAsync(userId) is not { } user)
        {
            return UserChangeResult.Fail("The user no longer exists.");
        }

        var before = user.LockoutEnd;
        var result = await users.SetLockoutEndDateAsync(user, null);
        if (result.Succeeded)
        {
            result = await users.ResetAccessFailedCountAsync(user);
        }

        if (!result.Succeeded)
        {
            return UserChangeResult.Fail(Describe(result));
        }

        await CommitAsync(db, AuditActions.UserUnlocked, actor, user.Email, new { lockedUntil = before }, new { lockedUntil = (DateTimeOffset?)null }, cancellationToken);
        return UserChangeResult.Ok();
    }

    /// <summary>Replaces the user's password with a generated one, returned once, and ends their sessions.</summary>
    public async Task<UserChangeResult> ResetPasswordAsync(string userId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = scopes.CreateAsyncScope();
        var (users, db) = Services(scope);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await users.FindByIdAsync(userId) is not { } user)
        {
            return UserChangeResult.Fail("The user no longer exists.");
        }

        var password = PasswordGenerator.Generate();
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var result = await users.ResetPasswordAsync(user, token, password);
        if (!result.Succeeded)
        {
            return UserChangeResult.Fail(Describe(result));
        }

        // The password itself is never recorded, only that it changed.
        await CommitAsync(db, AuditActions.UserPasswordReset, actor, user.Email, null, new { passwordChanged = true }, cancellationToken);
        return UserChangeResult.Ok(password);
    }

    private static bool IsSelf(PortalUser user, Actor actor) =>
        string.Equals(user.UserName, actor.Name, StringComparison.OrdinalIgnoreCase);

    /// <summary>The scope's user manager and the context its store saves through, so a change can share one transaction.</summary>
    private static (UserManager<PortalUser> Users, PortalDbContext Db) Services(AsyncServiceScope scope) =>
        (scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>(), scope.ServiceProvider.GetRequiredService<PortalDbContext>());

    /// <summary>Commits the change the user manager saved in <paramref name="db"/>'s transaction, with its audit entry.</summary>
    private async Task CommitAsync(PortalDbContext db, string action, Actor actor, string? target, object? before, object? after, CancellationToken cancellationToken)
    {
        await audit.SaveWithAsync(db, AuditEntry.By(actor, action, target) with { Before = before, After = after }, cancellationToken);
        await db.Database.CommitTransactionAsync(cancellationToken);
    }

    private static string Describe(IdentityResult result) => string.Join(" ", result.Errors.Select(e => e.Description));
}
