using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Audit;

internal static class AuditExtensions
{
    /// <summary>The audit trail's writer, the audit page's reader, and the chain's checkpoints outside the database.</summary>
    public static IHostApplicationBuilder AddPortalAudit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<AuditQuery>();
        builder.Services.AddSingleton(new AuditDirectory(Path.Combine(DataExtensions.ResolveDataDir(builder), "audit")));
        builder.Services.AddSingleton<AuditCheckpoints>();
        builder.Services.AddHostedService<AuditCheckpointWriter>();
        return builder;
    }
}
