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

    /// <summary>
    /// This node's name among the nodes that share one PostgreSQL database (the machine's name by default): run
    /// claims and Hangfire servers carry it, and a restarted node releases the claims its earlier process left.
    /// Two nodes on one machine need different names.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", ErrorMessage = "Portal:NodeName must be 1-63 letters, digits, '.', '_' or '-'.")]
    public string? NodeName { get; set; }

    /// <summary>Portal:NodeName, or the machine's name when it is not set.</summary>
    public static string NodeNameOf(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration[$"{Section}:{nameof(NodeName)}"];
        return string.IsNullOrWhiteSpace(configured) ? Environment.MachineName : configured.Trim();
    }
}

/// <summary>The "Portal:Database" configuration section.</summary>
public sealed class PortalDatabaseOptions
{
    public const string Section = "Portal:Database";

    /// <summary>"sqlite" (one node) or "postgresql" (one or more nodes sharing the database).</summary>
    [Required]
    [RegularExpression("^(?i:sqlite|postgresql)$", ErrorMessage = "Portal:Database:Provider must be 'sqlite' or 'postgresql'.")]
    public string Provider { get; set; } = "sqlite";

    /// <summary>Overrides the default SQLite file, portal.db in the data directory; required for PostgreSQL.</summary>
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
