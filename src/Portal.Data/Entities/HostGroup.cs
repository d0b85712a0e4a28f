namespace PatchPortal.Portal.Data.Entities;

/// <summary>A named set of hosts with the environment they serve and how many approvals a plan for them needs.</summary>
public class HostGroup
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public string? Description { get; set; }
    public GroupEnvironment Environment { get; set; }
    public int RequiredApprovals { get; set; } = 1;

    public ICollection<ManagedHost> Hosts { get; } = [];
}
