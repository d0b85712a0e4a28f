using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class PendingUpdateConfiguration : IEntityTypeConfiguration<PendingUpdate>
{
    public void Configure(EntityTypeBuilder<PendingUpdate> builder)
    {
        builder.ToTable("PendingUpdates");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.PackageName).HasMaxLength(200).IsRequired();
        builder.Property(u => u.CurrentVersion).HasMaxLength(200);
        builder.Property(u => u.CandidateVersion).HasMaxLength(200).IsRequired();
        builder.Property(u => u.Source).HasMaxLength(300);
        builder.HasIndex(u => new { u.HostId, u.PackageName }).IsUnique();
        builder.HasIndex(u => new { u.HostId, u.IsSecurity });
    }
}
