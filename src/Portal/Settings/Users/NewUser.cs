namespace PatchPortal.Portal.Settings.Users;

/// <summary>What the new-user dialog collects.</summary>
public sealed record NewUser(string Email, string Role);
