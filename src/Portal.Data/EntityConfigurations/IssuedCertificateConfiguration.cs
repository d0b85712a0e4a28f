using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class IssuedCertificateConfiguration : IEntityTypeConfiguration<IssuedCertificate>
{
    public void Configure(EntityTypeBuilder<IssuedCertificate> builder)
    {
        builder.ToTable("IssuedCertificates");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Kind).HasConversion<string>().HasMaxLength(30);
        builder.Property(c => c.SerialNumber).HasMaxLength(64).IsRequired();
        builder.HasIndex(c => c.SerialNumber).IsUnique();
        builder.Property(c => c.Subject).HasMaxLength(500).IsRequired();
        builder.Property(c => c.Fingerprint).HasMaxLength(128).IsRequired();
        builder.HasIndex(c => c.Fingerprint).IsUnique();
        builder.Property(c => c.RevocationReason).HasMaxLength(500);
        builder.HasIndex(c => c.NotAfter);
        // A host's certificates stay on record (for audit) after the host is removed.
        builder.HasOne<ManagedHost>().WithMany().HasForeignKey(c => c.HostId).OnDelete(DeleteBehavior.SetNull);
    }
}
