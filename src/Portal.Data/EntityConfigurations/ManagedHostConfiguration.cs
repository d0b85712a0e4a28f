using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class ManagedHostConfiguration : IEntityTypeConfiguration<ManagedHost>
{
    public void Configure(EntityTypeBuilder<ManagedHost> builder)
    {
        builder.ToTable("Hosts");
        builder.HasKey(h => h.Id);
        builder.Property(h => h.Name).HasMaxLength(253).IsRequired();
        builder.Property(h => h.Address).HasMaxLength(253).IsRequired();
        builder.Property(h => h.NormalizedName).HasMaxLength(253).IsRequired();
        builder.Property(h => h.NormalizedAddress).HasMaxLength(253).IsRequired();
        // Uniqueness ignores case (web01 and WEB01 are one host); the plain columns keep what the user typed.
        builder.HasIndex(h => h.NormalizedName).IsUnique();
        builder.HasIndex(h => h.NormalizedAddress).IsUnique();
        builder.HasIndex(h => h.Name);
        builder.Property(h => h.OsName).HasMaxLength(200);
        builder.Property(h => h.OsVersion).HasMaxLength(100);
        builder.Property(h => h.KernelVersion).HasMaxLength(200);
        builder.Property(h => h.Architecture).HasMaxLength(50);
        builder.Property(h => h.PackageFamily).HasMaxLength(50);
        builder.Property(h => h.AgentCertificateFingerprint).HasMaxLength(128);
        builder.Property(h => h.Health).HasConversion<string>().HasMaxLength(20);
        builder.Property(h => h.HealthReason).HasMaxLength(1000);
        builder.HasIndex(h => h.Health);
        builder.HasIndex(h => h.LastSeenAt);

        builder.HasMany(h => h.Groups).WithMany(g => g.Hosts).UsingEntity<HostGroupMember>(
            r => r.HasOne<HostGroup>().WithMany().HasForeignKey(m => m.GroupId).OnDelete(DeleteBehavior.Cascade),
            l => l.HasOne<ManagedHost>().WithMany().HasForeignKey(m => m.HostId).OnDelete(DeleteBehavior.Cascade));
        builder.HasMany(h => h.Tags).WithMany(t => t.Hosts).UsingEntity<HostTag>(
            r => r.HasOne<Tag>().WithMany().HasForeignKey(t => t.TagId).OnDelete(DeleteBehavior.Cascade),
            l => l.HasOne<ManagedHost>().WithMany().HasForeignKey(t => t.HostId).OnDelete(DeleteBehavior.Cascade));

        builder.HasMany(h => h.InstalledPackages).WithOne().HasForeignKey(p => p.HostId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(h => h.PendingUpdates).WithOne().HasForeignKey(p => p.HostId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(h => h.HealthSamples).WithOne().HasForeignKey(s => s.HostId).OnDelete(DeleteBehavior.Cascade);
    }
}
