using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Plans;

/// <summary>Decisions: approve and reject, four-eyes and counted per revision.</summary>
public sealed partial class PlanService
{
    // Two approvers deciding at the same moment both read the same plan; the plan's concurrency stamp lets only one
    // of them write, and the other decides again on what is there now (so both count, once each).
    private const int DecisionAttempts = 3;

    /// <summary>
    /// Approves the revision the approver looked at. When the approvals of the current revision reach the number
    /// required, the plan becomes Approved and is handed to the run scheduler.
    /// </summary>
    public async Task<PlanResult> ApproveAsync(Guid planId, int expectedRevision, string? comment, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (PlanInputRules.ValidateComment(comment) is { } invalid)
        {
            return PlanResult.Invalid(new Dictionary<string, string> { ["Comment"] = invalid });
        }

        comment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        for (var attempt = 0; attempt < DecisionAttempts; attempt++)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            if (await db.PatchPlans.SingleOrDefaultAsync(p => p.Id == planId, cancellationToken) is not { } plan)
            {
                return PlanResult.Missing();
            }

            var now = time.GetUtcNow();
            if (await DecisionRefusalAsync(db, plan, expectedRevision, actor, approving: true, now, cancellationToken) is { } refusal)
            {
                return await RefuseAsync(plan, actor, "approve", refusal.Reason, cancellationToken, refusal.Status);
            }

            var approvers = await db.PlanApprovals.AsNoTracking()
                .Where(a => a.PlanId == planId && a.PlanRevision == plan.Revision && a.Decision == ApprovalDecision.Approved)
                .OrderBy(a => a.DecidedAt).Select(a => a.Approver).ToListAsync(cancellationToken);
            approvers.Add(actor.Name);
            var decision = new PlanApproval
            {
                PlanId = planId,
                PlanRevision = plan.Revision,
                Approver = actor.Name,
                Decision = ApprovalDecision.Approved,
                Comment = comment,
                DecidedAt = now,
            };
            db.PlanApprovals.Add(decision);
            var count = $"{approvers.Count} of {plan.RequiredApprovals}";
            var said = comment is null ? "" : $": {comment}";
            var complete = approvers.Count >= plan.RequiredApprovals;
            if (complete)
            {
                PlanTimeline.Transition(plan, PlanState.Approved, actor.Name, PlanEventKinds.Approved,
                    $"Revision {plan.Revision} approved ({count}){said}", now);
            }
            else
            {
                PlanTimeline.Record(plan, actor.Name, PlanEventKinds.Approval, $"Revision {plan.Revision} approved ({count}){said}", now);
                // Touching the plan makes its stamp part of this write, so a concurrent decision cannot slip past
                // (marked modified explicitly: the same timestamp would otherwise count as no change).
                plan.UpdatedAt = now;
                db.Entry(plan).Property(p => p.UpdatedAt).IsModified = true;
            }

            var approved = Entry(AuditActions.PlanApproved, actor, plan, null,
                new { revision = plan.Revision, approvals = approvers.Count, required = plan.RequiredApprovals, state = plan.State.ToString(), comment });
            switch (await TryDecideAsync(db, decision, approved, cancellationToken))
            {
                case Decided.Conflict:
                    continue;
                case Decided.Duplicate:
                    return await RefuseAsync(plan, actor, "approve", AlreadyDecided(plan.Revision), cancellationToken);
            }

            PlansLog.Changed(logger, plan.Id, "approved", actor.Name, plan.State);
            events.Publish(new PlanChanged(plan.Id, complete ? PlanChangeKinds.State : PlanChangeKinds.Decision));
            if (!complete)
            {
                return PlanResult.Ok(plan.Id, $"Approval recorded ({count}).");
            }

            await ScheduleAsync(plan.Id, actor, cancellationToken);
            return PlanResult.Ok(plan.Id, "The plan is approved.");
        }

        return PlanResult.Refused(ConcurrentChange);
    }

    /// <summary>Rejects the revision the approver looked at, with the reason; the round ends (Rejected).</summary>
    public async Task<PlanResult> RejectAsync(Guid planId, int expectedRevision, string? comment, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (string.IsNullOrWhiteSpace(comment))
        {
            return PlanResult.Invalid(new Dictionary<string, string> { ["Comment"] = "Say why you reject the plan." });
        }

        if (PlanInputRules.ValidateComment(comment) is { } invalid)
        {
            return PlanResult.Invalid(new Dictionary<string, string> { ["Comment"] = invalid });
        }

        comment = comment.Trim();
        for (var attempt = 0; attempt < DecisionAttempts; attempt++)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            if (await db.PatchPlans.SingleOrDefaultAsync(p => p.Id == planId, cancellationToken) is not { } plan)
            {
                return PlanResult.Missing();
            }

            var now = time.GetUtcNow();
            if (await DecisionRefusalAsync(db, plan, expectedRevision, actor, approving: false, now, cancellationToken) is { } refusal)
            {
                return await RefuseAsync(plan, actor, "reject", refusal.Reason, cancellationToken, refusal.Status);
            }

            var decision = new PlanApproval
            {
                PlanId = planId,
                PlanRevision = plan.Revision,
                Approver = actor.Name,
                Decision = ApprovalDecision.Rejected,
                Comment = comment,
                DecidedAt = now,
            };
            db.PlanApprovals.Add(decision);
            PlanTimeline.Transition(plan, PlanState.Rejected, actor.Name, PlanEventKinds.Rejected, $"Revision {plan.Revision} rejected: {comment}", now);
            var rejected = Entry(AuditActions.PlanRejected, actor, plan, null, new { revision = plan.Revision, comment });
            switch (await TryDecideAsync(db, decision, rejected, cancellationToken))
            {
                case Decided.Conflict:
                    continue;
                case Decided.Duplicate:
                    return await RefuseAsync(plan, actor, "reject", AlreadyDecided(plan.Revision), cancellationToken);
            }

            PlansLog.Changed(logger, plan.Id, "rejected", actor.Name, plan.State);
            events.Publish(new PlanChanged(plan.Id, PlanChangeKinds.State));
            return PlanResult.Ok(plan.Id, "The plan is rejected.");
        }

        return PlanResult.Refused(ConcurrentChange);
    }

    /// <summary>Whether the user wrote, edited or submitted the plan: such authors never decide on it.</summary>
    public async Task<bool> IsAuthorAsync(Guid planId, string user, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await IsAuthorAsync(db, planId, user, cancellationToken);
    }

    private static async Task<bool> IsAuthorAsync(PortalDbContext db, Guid planId, string user, CancellationToken cancellationToken) =>
        await db.PatchPlans.AnyAsync(p => p.Id == planId && p.RequestedBy == user, cancellationToken)
        || await db.PlanEvents.AnyAsync(e => e.PlanId == planId && e.Actor == user && PlanEventKinds.Authoring.Contains(e.Kind), cancellationToken);

    /// <summary>
    /// Why the user may not decide on the plan now, and whether that is the plan's state (Conflict) or who they are
    /// (Forbidden); null when they may. The order is the one users understand best.
    /// </summary>
    private static async Task<(string Reason, ChangeStatus Status)?> DecisionRefusalAsync(
        PortalDbContext db, PatchPlan plan, int expectedRevision, Actor actor, bool approving, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var verb = approving ? "approved" : "rejected";
        if (plan.State != PlanState.PendingApproval)
        {
            return ($"A plan in state {plan.State} cannot be {verb}; only a plan pending approval can.", ChangeStatus.Conflict);
        }

        if (plan.Revision != expectedRevision)
        {
            return ($"The plan changed since you opened it (it is now revision {plan.Revision}); review the new revision before deciding.", ChangeStatus.Conflict);
        }

        if (plan.RequestedBy == actor.Name)
        {
            return (approving ? "You requested this plan: nobody approves their own plan." : "You requested this plan: cancel it instead of rejecting it.",
                ChangeStatus.Forbidden);
        }

        if (await IsAuthorAsync(db, plan.Id, actor.Name, cancellationToken))
        {
            return (approving
                ? "You edited or submitted this plan: its authors cannot approve it."
                : "You edited or submitted this plan: cancel it instead of rejecting it.", ChangeStatus.Forbidden);
        }

        if (await db.PlanApprovals.AnyAsync(a => a.PlanId == plan.Id && a.PlanRevision == plan.Revision && a.Approver == actor.Name, cancellationToken))
        {
            return (AlreadyDecided(plan.Revision), ChangeStatus.Conflict);
        }

        if (approving && plan.ApprovalExpiresAt is { } expires && expires <= now)
        {
            return ($"The approval deadline ({Format(expires)}) has passed.", ChangeStatus.Conflict);
        }

        if (approving && !await db.PlanManifestHosts.AnyAsync(m => m.PlanId == plan.Id && m.PlanRevision == plan.Revision, cancellationToken))
        {
            return ($"Revision {plan.Revision} has no dry run yet: approvers decide on what it would change, so wait until it has run.", ChangeStatus.Conflict);
        }

        return null;
    }

    private static string AlreadyDecided(int revision) => $"You already decided on revision {revision} of this plan.";

    private enum Decided
    {
        Saved,
        Conflict,
        Duplicate,
    }

    private async Task<Decided> TryDecideAsync(PortalDbContext db, PlanApproval decision, AuditEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            await audit.SaveWithAsync(db, entry, cancellationToken);
            return Decided.Saved;
        }
        catch (DbUpdateConcurrencyException)
        {
            return Decided.Conflict;
        }
        catch (DbUpdateException)
        {
            // The unique index on (plan, revision, approver) catches a second decision that raced past the check.
            await using var fresh = await factory.CreateDbContextAsync(cancellationToken);
            if (await fresh.PlanApprovals.AnyAsync(a => a.PlanId == decision.PlanId && a.PlanRevision == decision.PlanRevision && a.Approver == decision.Approver, cancellationToken))
            {
                return Decided.Duplicate;
            }

            throw;
        }
    }

    private async Task ScheduleAsync(Guid planId, Actor actor, CancellationToken cancellationToken)
    {
        try
        {
            await runs.ScheduleAsync(planId, actor.Name, cancellationToken);
            // The scheduler moved the plan on (Approved → Scheduled): open pages show that too.
            events.Publish(new PlanChanged(planId, PlanChangeKinds.State));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The approval stands (it is committed); the timeline says that scheduling failed, so nobody waits for
            // a run that will not come.
            PlansLog.ScheduleFailed(logger, planId, e);
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            db.PlanEvents.Add(new PlanEvent
            {
                PlanId = planId,
                OccurredAt = time.GetUtcNow(),
                Actor = SystemActor,
                Kind = PlanEventKinds.ScheduleFailed,
                Message = $"The plan is approved but its run could not be scheduled: {e.Message}",
            });
            await db.SaveChangesAsync(cancellationToken);
            events.Publish(new PlanChanged(planId, PlanChangeKinds.State));
        }
    }
}
