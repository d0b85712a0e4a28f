using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Data.EntityConfigurations;

/// <summary>
/// Windows, blackouts and plans each target groups, tags and hosts through join tables named after the owner
/// ("MaintenanceWindowGroups"); deleting a group, tag or host removes it from every target set.
/// </summary>
internal static class TargetSetConfiguration
{
    public static void HasTargets<T>(
        this EntityTypeBuilder<T> builder,
        string owner,
        System.Linq.Expressions.Expression<Func<T, IEnumerable<HostGroup>?>> groups,
        System.Linq.Expressions.Expression<Func<T, IEnumerable<Tag>?>> tags,
        System.Linq.Expressions.Expression<Func<T, IEnumerable<ManagedHost>?>> hosts)
        where T : class
    {
        var key = owner + "Id";
        builder.HasMany(groups).WithMany().UsingEntity(
            owner + "Groups",
            r => r.HasOne(typeof(HostGroup)).WithMany().HasForeignKey("GroupId").OnDelete(DeleteBehavior.Cascade),
            l => l.HasOne(typeof(T)).WithMany().HasForeignKey(key).OnDelete(DeleteBehavior.Cascade));
        builder.HasMany(tags).WithMany().UsingEntity(
            owner + "Tags",
            r => r.HasOne(typeof(Tag)).WithMany().HasForeignKey("TagId").OnDelete(DeleteBehavior.Cascade),
            l => l.HasOne(typeof(T)).WithMany().HasForeignKey(key).OnDelete(DeleteBehavior.Cascade));
        builder.HasMany(hosts).WithMany().UsingEntity(
            owner + "Hosts",
            r => r.HasOne(typeof(ManagedHost)).WithMany().HasForeignKey("HostId").OnDelete(DeleteBehavior.Cascade),
            l => l.HasOne(typeof(T)).WithMany().HasForeignKey(key).OnDelete(DeleteBehavior.Cascade));
    }
}
