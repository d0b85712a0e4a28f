using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class HostRunConfiguration : IEntityTypeConfiguration<HostRun>
{
    public void Configure(EntityTypeBuilder<HostRun> builder)
    {
        builder.ToTable("HostRuns");
        builder.HasKey(h => h.Id);
        // One record per host per run: a resumed run finds the host's record instead of patching it again.
        builder.HasIndex(h => new { h.RunId, h.HostId }).IsUnique();
        builder.HasIndex(h => h.HostId);
        builder.Property(h => h.HostName).HasMaxLength(253).IsRequired();
        builder.Property(h => h.State).HasConversion<string>().HasMaxLength(20);
        builder.Property(h => h.AgentJobId).HasMaxLength(64);
        builder.Property(h => h.RebootJobId).HasMaxLength(64);
        builder.Property(h => h.RollbackJobId).HasMaxLength(64);
        builder.Property(h => h.Message).HasMaxLength(2000);
        builder.Property(h => h.OutputExcerpt).HasMaxLength(16000);
        builder.Property(h => h.Error).HasMaxLength(2000);
        builder.Property(h => h.KernelAfter).HasMaxLength(200);
        builder.Property(h => h.ConcurrencyStamp).IsConcurrencyToken();
        builder.OwnsMany(h => h.Changes, c => c.ToJson());
    }
}
