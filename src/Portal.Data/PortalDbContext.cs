using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data;

/// <summary>
/// The portal's database, provider-neutral. Each provider has its own subclass (and migration set) that adds
/// what only that provider needs, such as <see cref="Sqlite.SqlitePortalDbContext"/>.
/// </summary>
public abstract class PortalDbContext(DbContextOptions options)
    : IdentityDbContext<PortalUser, IdentityRole, string>(options)
{
    public DbSet<ManagedHost> Hosts => Set<ManagedHost>();
    public DbSet<HostGroup> HostGroups => Set<HostGroup>();
    public DbSet<Tag> Tags => Set<Tag>();
    public DbSet<HostGroupMember> HostGroupMembers => Set<HostGroupMember>();
    public DbSet<HostTag> HostTags => Set<HostTag>();
    public DbSet<InstalledPackage> InstalledPackages => Set<InstalledPackage>();
    public DbSet<PendingUpdate> PendingUpdates => Set<PendingUpdate>();
    public DbSet<HealthSample> HealthSamples => Set<HealthSample>();
    public DbSet<EnrollmentToken> EnrollmentTokens => Set<EnrollmentToken>();
    public DbSet<IssuedCertificate> IssuedCertificates => Set<IssuedCertificate>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<MaintenanceWindow> MaintenanceWindows => Set<MaintenanceWindow>();
    public DbSet<Blackout> Blackouts => Set<Blackout>();
    public DbSet<PatchPlan> PatchPlans => Set<PatchPlan>();
    public DbSet<PlanManifestHost> PlanManifestHosts => Set<PlanManifestHost>();
    public DbSet<PlanApproval> PlanApprovals => Set<PlanApproval>();
    public DbSet<PlanEvent> PlanEvents => Set<PlanEvent>();
    public DbSet<PatchRun> PatchRuns => Set<PatchRun>();
    public DbSet<HostRun> HostRuns => Set<HostRun>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        RefuseAuditChanges();
        NormalizeHosts();
        RenewConcurrencyStamps();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        RefuseAuditChanges();
        NormalizeHosts();
        RenewConcurrencyStamps();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    // Every writer of hosts gets the case-insensitive unique keys right without having to remember them.
    private void NormalizeHosts()
    {
        foreach (var entry in ChangeTracker.Entries<ManagedHost>())
        {
            if (entry.State is EntityState.Added or EntityState.Modified)
            {
                entry.Entity.NormalizedName = entry.Entity.Name.ToUpperInvariant();
                entry.Entity.NormalizedAddress = entry.Entity.Address.ToUpperInvariant();
            }
        }
    }

    private void RenewConcurrencyStamps()
    {
        foreach (var entry in ChangeTracker.Entries<IConcurrencyStamped>())
        {
            if (entry.State == EntityState.Modified)
            {
                entry.Entity.ConcurrencyStamp = Guid.NewGuid();
            }
        }
    }

    // The audit trail is evidence: rows are only ever added.
    private void RefuseAuditChanges()
    {
        foreach (var entry in ChangeTracker.Entries<AuditEvent>())
        {
            if (entry.State is EntityState.Modified or EntityState.Deleted)
            {
                throw new InvalidOperationException(
                    $"Audit event {entry.Entity.Id} cannot be {entry.State.ToString().ToLowerInvariant()}: the audit log is append-only.");
            }
        }
    }
}
