namespace PatchPortal.Agent.Contracts;

/// <summary>What <c>patch-agent enroll</c> sends to the portal: the one-time token and a CSR made on the host.</summary>
public sealed record EnrollmentRequest
{
    public string? Token { get; init; }
    public string? CsrPem { get; init; }
    public string? Hostname { get; init; }
    public int? AgentPort { get; init; }
}

/// <summary>The portal's answer: the signed certificate, the CA, and the identity the agent must allow.</summary>
public sealed record EnrollmentResponse
{
    public required string CertificatePem { get; init; }
    public required string CaPem { get; init; }
    public required string PortalClientIdentity { get; init; }

    /// <summary>The CA's current revocation list (PEM); absent from portals that predate it.</summary>
    public string? CrlPem { get; init; }

    /// <summary>Where the agent fetches newer revocation lists (<c>Agent:Tls:CrlUrl</c>).</summary>
    public string? CrlUrl { get; init; }
}
