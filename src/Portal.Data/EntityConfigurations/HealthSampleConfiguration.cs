using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class HealthSampleConfiguration : IEntityTypeConfiguration<HealthSample>
{
    public void Configure(EntityTypeBuilder<HealthSample> builder)
    {
        builder.ToTable("HealthSamples");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Health).HasConversion<string>().HasMaxLength(20);
        builder.Property(s => s.Reason).HasMaxLength(1000);
        builder.HasIndex(s => new { s.HostId, s.At });
    }
}
