using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class PortalUserConfiguration : IEntityTypeConfiguration<PortalUser>
{
    public void Configure(EntityTypeBuilder<PortalUser> builder) => builder.HasIndex(u => u.CreatedAt);
}
