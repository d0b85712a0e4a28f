namespace PatchPortal.Portal.Data.Entities;

/// <summary>A free label on hosts (role, owner, location) used to select them.</summary>
public class Tag
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }

    public ICollection<ManagedHost> Hosts { get; } = [];
}
