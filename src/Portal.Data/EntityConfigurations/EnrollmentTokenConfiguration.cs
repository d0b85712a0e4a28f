using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class EnrollmentTokenConfiguration : IEntityTypeConfiguration<EnrollmentToken>
{
    public void Configure(EntityTypeBuilder<EnrollmentToken> builder)
    {
        builder.ToTable("EnrollmentTokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.TokenHash).HasMaxLength(128).IsRequired();
        builder.HasIndex(t => t.TokenHash).IsUnique();
        builder.Property(t => t.CreatedBy).HasMaxLength(256);
        builder.HasOne<ManagedHost>().WithMany().HasForeignKey(t => t.HostId).OnDelete(DeleteBehavior.Cascade);
    }
}
