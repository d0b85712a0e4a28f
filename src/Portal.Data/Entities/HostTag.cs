namespace PatchPortal.Portal.Data.Entities;

/// <summary>Link between a host and a tag on it.</summary>
public class HostTag
{
    public Guid HostId { get; set; }
    public Guid TagId { get; set; }
}
