using Microsoft.AspNetCore.Identity;

namespace PatchPortal.Portal.Data.Entities;

/// <summary>A person who signs in to the portal; the role (Admin, Operator, Approver, Viewer) is an Identity role.</summary>
public class PortalUser : IdentityUser
{
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The user's theme choice; null follows the browser's preference.</summary>
    public bool? PrefersDarkMode { get; set; }

    /// <summary>SHA-256 (hex) of the secret in the user's calendar feed URL; null until the user creates one.</summary>
    public string? CalendarFeedTokenHash { get; set; }
}
