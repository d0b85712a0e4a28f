namespace PatchPortal.Portal.Audit;

internal static class AuditExtensions
{
    /// <summary>The audit trail's writer and the audit page's reader.</summary>
    public static IHostApplicationBuilder AddPortalAudit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<AuditQuery>();
        return builder;
    }
}
