using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class PlanEventConfiguration : IEntityTypeConfiguration<PlanEvent>
{
    public void Configure(EntityTypeBuilder<PlanEvent> builder)
    {
        builder.ToTable("PlanEvents");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Actor).HasMaxLength(256).IsRequired();
        builder.Property(e => e.Kind).HasMaxLength(50).IsRequired();
        builder.Property(e => e.FromState).HasConversion<string>().HasMaxLength(20);
        builder.Property(e => e.ToState).HasConversion<string>().HasMaxLength(20);
        builder.Property(e => e.Message).HasMaxLength(2000);
        builder.HasIndex(e => new { e.PlanId, e.OccurredAt });
    }
}
