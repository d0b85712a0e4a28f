using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class InstalledPackageConfiguration : IEntityTypeConfiguration<InstalledPackage>
{
    public void Configure(EntityTypeBuilder<InstalledPackage> builder)
    {
        builder.ToTable("InstalledPackages");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Name).HasMaxLength(200).IsRequired();
        builder.Property(p => p.Version).HasMaxLength(200).IsRequired();
        builder.Property(p => p.Architecture).HasMaxLength(50).IsRequired();
        builder.HasIndex(p => new { p.HostId, p.Name, p.Architecture }).IsUnique();
    }
}
