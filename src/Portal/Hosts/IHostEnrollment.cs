namespace PatchPortal.Portal.Hosts;

/// <summary>Issues one-time enrolment tokens for hosts (the token is shown once and stored only as a hash).</summary>
public interface IHostEnrollment
{
    /// <summary>Revokes any unused token of the host and issues a new one; audited as <paramref name="actor"/>.</summary>
    Task<EnrollmentTicket> IssueTokenAsync(Guid hostId, string actor, string? sourceAddress, CancellationToken cancellationToken);
}

/// <summary>The token and the exact command to run on the host.</summary>
/// <summary>
/// A one-time token with the two ways to use it on the host: <see cref="Command"/> where the agent is installed
/// already, <see cref="InstallCommand"/> to install the package from the portal's /downloads and enrol in one go.
/// </summary>
public sealed record EnrollmentTicket(string Token, DateTimeOffset ExpiresAt, string Command, string InstallCommand);
