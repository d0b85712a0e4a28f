using System.ComponentModel.DataAnnotations;

namespace PatchPortal.Portal.Infrastructure;

/// <summary>The "Portal" configuration section.</summary>
public sealed class PortalOptions
{
    public const string Section = "Portal";

    /// <summary>Where the portal keeps its database and keys; relative paths are under the content root.</summary>
    [Required]
    public string DataDir { get; set; } = Path.Combine(".data", "portal");

    /// <summary>The addresses to listen on when neither ASPNETCORE_URLS nor --urls is given.</summary>
    public string? Urls { get; set; }
}

/// <summary>The "Portal:Database" configuration section.</summary>
public sealed class PortalDatabaseOptions
{
    public const string Section = "Portal:Database";

    /// <summary>Only "sqlite" today; PostgreSQL joins in a later issue.</summary>
    [Required]
    [RegularExpression("^(?i:sqlite)$", ErrorMessage = "Portal:Database:Provider must be 'sqlite'.")]
    public string Provider { get; set; } = "sqlite";

    /// <summary>Overrides the default SQLite file, portal.db in the data directory.</summary>
    public string? ConnectionString { get; set; }
}

/// <summary>The "Portal:Admin" section: the first administrator, created once when no admin exists.</summary>
public sealed class AdminBootstrapOptions
{
    public const string Section = "Portal:Admin";

    [EmailAddress]
    public string? Email { get; set; }

    public string? Password { get; set; }
}
