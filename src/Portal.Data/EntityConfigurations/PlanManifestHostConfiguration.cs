using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class PlanManifestHostConfiguration : IEntityTypeConfiguration<PlanManifestHost>
{
    public void Configure(EntityTypeBuilder<PlanManifestHost> builder)
    {
        builder.ToTable("PlanManifestHosts");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.HostName).HasMaxLength(253).IsRequired();
        builder.Property(m => m.Error).HasMaxLength(2000);
        builder.HasIndex(m => new { m.PlanId, m.HostId }).IsUnique();
        builder.OwnsMany(m => m.Changes, c => c.ToJson());
    }
}
