namespace PatchPortal.Portal.Account;

/// <summary>The four roles; every user has exactly one.</summary>
public static class PortalRoles
{
    public const string Admin = "Admin";
    public const string Operator = "Operator";
    public const string Approver = "Approver";
    public const string Viewer = "Viewer";

    public static IReadOnlyList<string> All { get; } = [Admin, Operator, Approver, Viewer];
}

/// <summary>Authorization policies; pages and actions name a policy, never a role list.</summary>
public static class PortalPolicies
{
    /// <summary>Any signed-in user with a role: read-only access to everything but user administration.</summary>
    public const string View = "View";

    /// <summary>Hosts, groups and plans: Admins and Operators.</summary>
    public const string Operate = "Operate";

    /// <summary>Deciding on plans: Admins and Approvers.</summary>
    public const string Approve = "Approve";

    /// <summary>Users, certificates and settings: Admins only.</summary>
    public const string Administer = "Administer";

    public static void Configure(Microsoft.AspNetCore.Authorization.AuthorizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddPolicy(View, p => p.RequireRole(PortalRoles.All));
        options.AddPolicy(Operate, p => p.RequireRole(PortalRoles.Admin, PortalRoles.Operator));
        options.AddPolicy(Approve, p => p.RequireRole(PortalRoles.Admin, PortalRoles.Approver));
        options.AddPolicy(Administer, p => p.RequireRole(PortalRoles.Admin));
    }
}
