using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class PlanApprovalConfiguration : IEntityTypeConfiguration<PlanApproval>
{
    public void Configure(EntityTypeBuilder<PlanApproval> builder)
    {
        builder.ToTable("PlanApprovals");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Approver).HasMaxLength(256).IsRequired();
        builder.Property(a => a.Decision).HasConversion<string>().HasMaxLength(20);
        builder.Property(a => a.Comment).HasMaxLength(2000);
        // One decision per approver per revision: approving twice is refused by the database as well.
        builder.HasIndex(a => new { a.PlanId, a.PlanRevision, a.Approver }).IsUnique();
    }
}
