using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class BlackoutConfiguration : IEntityTypeConfiguration<Blackout>
{
    public void Configure(EntityTypeBuilder<Blackout> builder)
    {
        builder.ToTable("Blackouts", t => t.HasCheckConstraint("CK_Blackouts_Span", "\"EndsAt\" > \"StartsAt\""));
        builder.HasKey(b => b.Id);
        builder.Property(b => b.Name).HasMaxLength(100).IsRequired();
        builder.Property(b => b.Reason).HasMaxLength(1000);
        builder.Property(b => b.CreatedBy).HasMaxLength(256);
        builder.HasIndex(b => new { b.StartsAt, b.EndsAt });
        builder.HasTargets("Blackout", b => b.TargetGroups, b => b.TargetTags, b => b.TargetHosts);
    }
}
