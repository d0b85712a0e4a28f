using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Plans;

/// <summary>The kinds of <see cref="PlanEvent"/> on a plan's timeline.</summary>
public static class PlanEventKinds
{
    public const string Created = "Created";
    public const string Edited = "Edited";
    public const string DryRun = "DryRun";
    public const string Submitted = "Submitted";
    public const string Approval = "Approval";
    public const string Approved = "Approved";
    public const string Rejected = "Rejected";
    public const string Cancelled = "Cancelled";
    public const string Expired = "Expired";
    public const string ScheduleFailed = "ScheduleFailed";

    /// <summary>The kinds that make a user an author of the plan, who may not approve it.</summary>
    public static IReadOnlyList<string> Authoring { get; } = [Created, Edited, Submitted];
}

/// <summary>Writes the timeline. Other features that move a plan (runs) use <see cref="Transition"/> too.</summary>
public static class PlanTimeline
{
    /// <summary>Moves the plan (throws on an illegal step, see <see cref="PlanStateMachine"/>) and records the step.</summary>
    public static PlanEvent Transition(PatchPlan plan, PlanState to, string actor, string kind, string? message, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var from = plan.State;
        plan.TransitionTo(to);
        plan.UpdatedAt = at;
        return Record(plan, actor, kind, message, at, from, to);
    }

    /// <summary>Records an entry that is not a state change (an edit in Draft, a dry run, one approval of several).</summary>
    public static PlanEvent Record(PatchPlan plan, string actor, string kind, string? message, DateTimeOffset at, PlanState? from = null, PlanState? to = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var entry = new PlanEvent
        {
            PlanId = plan.Id,
            OccurredAt = at,
            Actor = Clip(actor, 256),
            Kind = kind,
            FromState = from,
            ToState = to,
            Message = message is null ? null : Clip(message, 2000),
        };
        plan.Events.Add(entry);
        return entry;
    }

    private static string Clip(string value, int max) => value.Length <= max ? value : value[..max];
}
