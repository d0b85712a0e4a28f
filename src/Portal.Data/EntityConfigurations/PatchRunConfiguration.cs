using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class PatchRunConfiguration : IEntityTypeConfiguration<PatchRun>
{
    public void Configure(EntityTypeBuilder<PatchRun> builder)
    {
        builder.ToTable("PatchRuns");
        builder.HasKey(r => r.Id);
        builder.HasOne(r => r.Plan).WithMany().HasForeignKey(r => r.PlanId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => new { r.PlanId, r.OccurrenceStart }).IsUnique();
        builder.Property(r => r.State).HasConversion<string>().HasMaxLength(20);
        builder.HasIndex(r => r.State);
        builder.Property(r => r.StateReason).HasMaxLength(2000);
        builder.Property(r => r.HangfireJobId).HasMaxLength(100);
        builder.Property(r => r.CancelledBy).HasMaxLength(256);
        builder.Property(r => r.LeaseOwner).HasMaxLength(200);
        builder.Property(r => r.ConcurrencyStamp).IsConcurrencyToken();
        builder.HasMany(r => r.Hosts).WithOne().HasForeignKey(h => h.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
