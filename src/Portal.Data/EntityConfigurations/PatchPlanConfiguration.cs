using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class PatchPlanConfiguration : IEntityTypeConfiguration<PatchPlan>
{
    public void Configure(EntityTypeBuilder<PatchPlan> builder)
    {
        builder.ToTable("PatchPlans", t =>
        {
            t.HasCheckConstraint("CK_PatchPlans_BatchSize", "\"BatchSize\" >= 1");
            t.HasCheckConstraint("CK_PatchPlans_MaxFailures", "\"MaxFailures\" >= 0");
            t.HasCheckConstraint("CK_PatchPlans_HostTimeout", "\"HostTimeoutMinutes\" >= 1");
        });
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Name).HasMaxLength(200).IsRequired();
        builder.Property(p => p.Description).HasMaxLength(4000);
        builder.Property(p => p.State).HasConversion<string>().HasMaxLength(20);
        builder.HasIndex(p => p.State);
        builder.Property(p => p.Scope).HasConversion<string>().HasMaxLength(20);
        builder.Property(p => p.Timing).HasConversion<string>().HasMaxLength(20);
        builder.Property(p => p.RebootPolicy).HasConversion<string>().HasMaxLength(20);
        builder.Property(p => p.RequestedBy).HasMaxLength(256).IsRequired();
        builder.Property(p => p.ConcurrencyStamp).IsConcurrencyToken();
        builder.HasOne(p => p.Window).WithMany().HasForeignKey(p => p.WindowId).OnDelete(DeleteBehavior.Restrict);
        builder.HasTargets("PatchPlan", p => p.TargetGroups, p => p.TargetTags, p => p.TargetHosts);
        builder.HasMany(p => p.Manifest).WithOne().HasForeignKey(m => m.PlanId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(p => p.Approvals).WithOne().HasForeignKey(a => a.PlanId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(p => p.Events).WithOne().HasForeignKey(e => e.PlanId).OnDelete(DeleteBehavior.Cascade);
    }
}
