namespace PatchPortal.Portal.Data.Entities;

public enum ApprovalDecision
{
    Approved,
    Rejected,
}

/// <summary>One approver's decision on one revision of a plan.</summary>
public class PlanApproval
{
    public long Id { get; set; }
    public Guid PlanId { get; set; }
    public int PlanRevision { get; set; }
    public required string Approver { get; set; }
    public ApprovalDecision Decision { get; set; }
    public string? Comment { get; set; }
    public DateTimeOffset DecidedAt { get; set; }
}
