using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

internal sealed class HostGroupMemberConfiguration : IEntityTypeConfiguration<HostGroupMember>
{
    public void Configure(EntityTypeBuilder<HostGroupMember> builder)
    {
        builder.ToTable("HostGroupMembers");
        builder.HasKey(m => new { m.HostId, m.GroupId });
        builder.HasIndex(m => m.GroupId);
    }
}
