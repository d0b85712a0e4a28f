using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class HostTagConfiguration : IEntityTypeConfiguration<HostTag>
{
    public void Configure(EntityTypeBuilder<HostTag> builder)
    {
        builder.ToTable("HostTags");
        builder.HasKey(t => new { t.HostId, t.TagId });
        builder.HasIndex(t => t.TagId);
    }
}
