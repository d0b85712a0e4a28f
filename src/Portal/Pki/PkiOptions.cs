using System.ComponentModel.DataAnnotations;

namespace PatchPortal.Portal.Pki;

/// <summary>The "Portal:Pki" section: the portal's own CA and client identity.</summary>
public sealed class PkiOptions
{
    public const string Section = "Portal:Pki";

    /// <summary>An existing CA certificate (PEM) to import instead of creating one; needs <see cref="CaKey"/>.</summary>
    public string? CaCertificate { get; set; }

    /// <summary>The imported CA's private key (PEM); must not be readable by others.</summary>
    public string? CaKey { get; set; }

    /// <summary>The subject CN of the portal's client certificate, which agents allow.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", ErrorMessage = "Portal:Pki:ClientName must be 1-64 letters, digits, dots, dashes or underscores.")]
    public string ClientName { get; set; } = "patchportal-portal";

    [Range(30, 3650)]
    public int AgentCertificateDays { get; set; } = 365;

    [Range(30, 3650)]
    public int ClientCertificateDays { get; set; } = 365;

    /// <summary>Renew the portal's client certificate when fewer days than this remain.</summary>
    [Range(1, 365)]
    public int RenewBeforeDays { get; set; } = 30;
}

/// <summary>The "Portal:Enrollment" section.</summary>
public sealed class EnrollmentOptions
{
    public const string Section = "Portal:Enrollment";

    [Range(5, 7 * 24 * 60)]
    public int TokenLifetimeMinutes { get; set; } = 24 * 60;

    /// <summary>The URL agents use to reach the portal for enrolment; defaults to the first listen URL.</summary>
    public string? PublicUrl { get; set; }
}
