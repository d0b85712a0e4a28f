using Microsoft.AspNetCore.Identity;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Account;

/// <summary>The outcome of a sign-in attempt as the login page shows it.</summary>
public enum SignInOutcome
{
    Succeeded,
    Failed,
    LockedOut,
}

/// <summary>Signs users in and out and records every attempt in the audit log.</summary>
internal sealed partial class AccountService(
    SignInManager<PortalUser> signIn,
    UserManager<PortalUser> users,
    AuditLog audit,
    ILogger<AccountService> logger)
{
    public async Task<SignInOutcome> SignInAsync(string email, string password, string? sourceAddress, CancellationToken cancellationToken)
    {
        var user = await users.FindByEmailAsync(email);
        var outcome = SignInOutcome.Failed;
        if (user is not null)
        {
            var result = await signIn.PasswordSignInAsync(user, password, isPersistent: false, lockoutOnFailure: true);
            outcome = result.Succeeded ? SignInOutcome.Succeeded : result.IsLockedOut ? SignInOutcome.LockedOut : SignInOutcome.Failed;
        }
        else
        {
            // Spend the time a real check takes, so response times do not tell which emails have accounts.
            users.PasswordHasher.HashPassword(new PortalUser(), password);
        }

        var action = outcome switch
        {
            SignInOutcome.Succeeded => AuditActions.SignInSucceeded,
            SignInOutcome.LockedOut => AuditActions.SignInLockedOut,
            _ => AuditActions.SignInFailed,
        };
        await audit.RecordAsync(new AuditEntry(action, email, user?.Email ?? email)
        {
            Succeeded = outcome == SignInOutcome.Succeeded,
            SourceAddress = sourceAddress,
            After = user is null ? new { reason = "unknown user" } : null,
        }, cancellationToken);
        LogSignIn(logger, email, outcome, sourceAddress);
        return outcome;
    }

    public async Task SignOutAsync(string? userName, string? sourceAddress, CancellationToken cancellationToken)
    {
        await signIn.SignOutAsync();
        if (userName is not null)
        {
            await audit.RecordAsync(new AuditEntry(AuditActions.SignedOut, userName, userName) { SourceAddress = sourceAddress }, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sign-in by {Email} from {SourceAddress}: {Outcome}")]
    private static partial void LogSignIn(ILogger logger, string email, SignInOutcome outcome, string? sourceAddress);
}
