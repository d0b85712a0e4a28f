namespace PatchPortal.Portal.Data.Entities;

/// <summary>One entry on a plan's timeline: a state change, a decision, an edit or a run milestone.</summary>
public class PlanEvent
{
    public long Id { get; set; }
    public Guid PlanId { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public required string Actor { get; set; }
    public required string Kind { get; set; }
    public PlanState? FromState { get; set; }
    public PlanState? ToState { get; set; }
    public string? Message { get; set; }
}
