namespace PatchPortal.Portal.Data.Entities;

/// <summary>Link between a host and a group it belongs to.</summary>
public class HostGroupMember
{
    public Guid HostId { get; set; }
    public Guid GroupId { get; set; }
}
