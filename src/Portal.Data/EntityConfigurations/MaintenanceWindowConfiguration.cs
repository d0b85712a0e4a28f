using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class MaintenanceWindowConfiguration : IEntityTypeConfiguration<MaintenanceWindow>
{
    public void Configure(EntityTypeBuilder<MaintenanceWindow> builder)
    {
        builder.ToTable("MaintenanceWindows", t =>
        {
            t.HasCheckConstraint("CK_MaintenanceWindows_Duration", "\"DurationMinutes\" > 0");
            t.HasCheckConstraint("CK_MaintenanceWindows_Cutoff", "\"CutoffMinutes\" >= 0 AND \"CutoffMinutes\" < \"DurationMinutes\"");
        });
        builder.HasKey(w => w.Id);
        builder.Property(w => w.Name).HasMaxLength(100).IsRequired();
        builder.HasIndex(w => w.Name).IsUnique();
        builder.Property(w => w.Description).HasMaxLength(1000);
        builder.Property(w => w.TimeZoneId).HasMaxLength(64).IsRequired();
        builder.Property(w => w.RecurrenceRule).HasMaxLength(500);
        builder.Property(w => w.CreatedBy).HasMaxLength(256);
        builder.HasTargets("MaintenanceWindow", w => w.TargetGroups, w => w.TargetTags, w => w.TargetHosts);
    }
}
