using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Runs;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Portal.Plans;

/// <summary>
/// Every change to a plan: create, edit, submit, approve, reject, cancel and expire. Each command opens its own
/// DbContext, checks the plan's state and revision, writes the timeline and the audit trail, and publishes on
/// <see cref="PlanEventHub"/>. Refusals of acting on a plan (wrong state, stale revision, own plan, twice) are
/// audited as <see cref="AuditActions.PlanActionRefused"/>; bad input is answered with per-field messages.
/// </summary>
public sealed partial class PlanService(
    IDbContextFactory<PortalDbContext> factory,
    AuditLog audit,
    PlanEventHub events,
    DryRunBoard dryRuns,
    IMaintenanceSchedule schedule,
    IRunScheduler runs,
    IOptions<PlansOptions> options,
    TimeProvider time,
    ILogger<PlanService> logger)
{
    public const string SystemActor = "system";

    public async Task<PlanResult> CreateAsync(PlanInput input, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        input = Normalize(input);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var errors = await ValidateAsync(db, input, now, cancellationToken);
        if (errors.Count > 0)
        {
            return PlanResult.Invalid(errors);
        }

        var plan = new PatchPlan { Name = input.Name, RequestedBy = actor.Name, CreatedAt = now, UpdatedAt = now };
        await ApplyAsync(db, plan, input, cancellationToken);
        PlanTimeline.Record(plan, actor.Name, PlanEventKinds.Created, "Created as a draft.", now, null, PlanState.Draft);
        db.PatchPlans.Add(plan);
        await audit.SaveWithAsync(db, Entry(AuditActions.PlanCreated, actor, plan, null, await SnapshotAsync(db, plan, cancellationToken)), cancellationToken);
        PlansLog.Changed(logger, plan.Id, "created", actor.Name, plan.State);
        events.Publish(new PlanChanged(plan.Id, PlanChangeKinds.Created));
        return PlanResult.Ok(plan.Id);
    }

    /// <summary>
    /// Edits a plan. <paramref name="expectedRevision"/> is the revision the editor was opened on: a plan changed by
    /// someone else meanwhile is refused rather than overwritten.
    /// </summary>
    public async Task<PlanResult> UpdateAsync(Guid planId, PlanInput input, int expectedRevision, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        input = Normalize(input);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await LoadAsync(db, planId, cancellationToken) is not { } plan)
        {
            return PlanResult.Missing();
        }

        if (!PlanStateMachine.IsEditable(plan.State))
        {
            return await RefuseAsync(plan, actor, "edit", $"A plan in state {plan.State} cannot be edited.", cancellationToken);
        }

        if (plan.Revision != expectedRevision)
        {
            return await RefuseAsync(plan, actor, "edit", StaleRevision(plan), cancellationToken);
        }

        var now = time.GetUtcNow();
        var errors = await ValidateAsync(db, input, now, cancellationToken);
        if (errors.Count > 0)
        {
            return PlanResult.Invalid(errors);
        }

        var before = await SnapshotAsync(db, plan, cancellationToken);
        await ApplyAsync(db, plan, input, cancellationToken);
        var after = await SnapshotAsync(db, plan, cancellationToken);
        var changed = PlanSnapshot.Changes(before, after);
        if (changed.Count == 0)
        {
            return PlanResult.Ok(plan.Id, "Nothing changed.");
        }

        var from = plan.State;
        plan.Revision++;
        plan.UpdatedAt = now;
        var message = $"Revision {plan.Revision}: {string.Join(", ", changed)} changed.";
        string? notice = null;
        switch (from)
        {
            case PlanState.Draft:
                PlanTimeline.Record(plan, actor.Name, PlanEventKinds.Edited, message, now);
                break;
            case PlanState.Rejected or PlanState.Expired:
                // A rejected or lapsed plan that is reworked starts over as a draft: dry run, then submit.
                PlanTimeline.Transition(plan, PlanState.Draft, actor.Name, PlanEventKinds.Edited, message + " Back to draft.", now);
                break;
            default:
                // PendingApproval, Approved or Scheduled. The change goes back to the approvers (PendingApproval), not
                // to Draft: the request for approval still stands, only its subject changed, and Draft would quietly
                // withdraw it and leave the approvers with nothing to look at. What makes this safe is the revision:
                // approvals count only for the revision they were given to, so every earlier approval stops
                // counting; the old manifest no longer matches the revision, so approvers are refused until a dry
                // run of the new revision has run; the approval deadline and the approvals needed are worked out
                // again for the new targets and timing; and any run already scheduled is removed below.
                var deadline = await DeadlineAsync(plan, now, cancellationToken);
                if (deadline.Error is { } deadlineError)
                {
                    return PlanResult.Invalid(new Dictionary<string, string> { [PlanFields.Timing] = deadlineError });
                }

                plan.ApprovalExpiresAt = deadline.At;
                plan.RequiredApprovals = await RequiredApprovalsAsync(db, Targets(plan), cancellationToken);
                plan.SubmittedAt = now;
                PlanTimeline.Transition(plan, PlanState.PendingApproval, actor.Name, PlanEventKinds.Edited,
                    message + " Sent back for approval: earlier approvals no longer count, and a new dry run is needed before approvers decide.", now);
                notice = "The plan went back for approval. Run the dry run so approvers can decide on the new revision.";
                break;
        }

        var edited = Entry(AuditActions.PlanEdited, actor, plan, new { state = from.ToString(), plan = before },
            new { state = plan.State.ToString(), revision = plan.Revision, plan = after });
        if (!await TrySaveAsync(db, edited, cancellationToken))
        {
            return PlanResult.Refused(ConcurrentChange);
        }

        PlansLog.Changed(logger, plan.Id, "edited", actor.Name, plan.State);
        if (from is PlanState.PendingApproval or PlanState.Approved or PlanState.Scheduled)
        {
            await UnscheduleAsync(plan.Id, actor, cancellationToken);
        }

        events.Publish(new PlanChanged(plan.Id, PlanChangeKinds.Edited));
        return PlanResult.Ok(plan.Id, notice);
    }

    /// <summary>Draft or Rejected → PendingApproval, once a dry run of the current revision covers every target host.</summary>
    public async Task<PlanResult> SubmitAsync(Guid planId, int expectedRevision, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await LoadAsync(db, planId, cancellationToken) is not { } plan)
        {
            return PlanResult.Missing();
        }

        var now = time.GetUtcNow();
        var refusal = plan.State is not (PlanState.Draft or PlanState.Rejected)
            ? $"Only a draft or rejected plan can be submitted; this one is {plan.State}."
            : plan.Revision != expectedRevision ? StaleRevision(plan)
            : dryRuns.Get(planId) is not null ? "A dry run of this plan is still running; submit it when the dry run has finished."
            : await ManifestRefusalAsync(db, plan, cancellationToken);
        var (at, deadlineError) = refusal is null ? await DeadlineAsync(plan, now, cancellationToken) : (null, null);
        if ((refusal ?? deadlineError) is { } reason)
        {
            return await RefuseAsync(plan, actor, "submit", reason, cancellationToken);
        }

        var deadline = at!.Value;
        var required = await RequiredApprovalsAsync(db, Targets(plan), cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (plan.State == PlanState.Rejected)
        {
            // A new round of decisions on unchanged content: the next revision, so the rejection and any approvals of
            // the last round stop counting, and the manifest (which describes the same content) moves along with it.
            var old = plan.Revision;
            plan.Revision++;
            await db.PlanManifestHosts.Where(m => m.PlanId == planId && m.PlanRevision == old)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.PlanRevision, plan.Revision), cancellationToken);
        }

        plan.RequiredApprovals = required;
        plan.ApprovalExpiresAt = deadline;
        plan.SubmittedAt = now;
        PlanTimeline.Transition(plan, PlanState.PendingApproval, actor.Name, PlanEventKinds.Submitted,
            $"Revision {plan.Revision} submitted: needs {Approvals(required)} before {Format(deadline)}.", now);
        var submitted = Entry(AuditActions.PlanSubmitted, actor, plan, null,
            new { revision = plan.Revision, requiredApprovals = required, approvalExpiresAt = deadline });
        if (!await TrySaveAsync(db, submitted, cancellationToken))
        {
            return PlanResult.Refused(ConcurrentChange);
        }

        await transaction.CommitAsync(cancellationToken);
        PlansLog.Changed(logger, plan.Id, "submitted", actor.Name, plan.State);
        events.Publish(new PlanChanged(plan.Id, PlanChangeKinds.State));
        return PlanResult.Ok(plan.Id, $"Submitted: {Approvals(required)} needed.");
    }

    /// <summary>Cancels a plan that has not started running, with a reason; its scheduled runs are removed.</summary>
    public async Task<PlanResult> CancelAsync(Guid planId, string? reason, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (string.IsNullOrWhiteSpace(reason))
        {
            return PlanResult.Invalid(new Dictionary<string, string> { ["Reason"] = "Give a reason for cancelling the plan." });
        }

        if (PlanInputRules.ValidateComment(reason) is { } tooLong)
        {
            return PlanResult.Invalid(new Dictionary<string, string> { ["Reason"] = tooLong });
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await db.PatchPlans.SingleOrDefaultAsync(p => p.Id == planId, cancellationToken) is not { } plan)
        {
            return PlanResult.Missing();
        }

        if (plan.State == PlanState.Running)
        {
            return await RefuseAsync(plan, actor, "cancel", "The plan is running: cancel its run on the run page.", cancellationToken);
        }

        if (!plan.CanTransitionTo(PlanState.Cancelled))
        {
            return await RefuseAsync(plan, actor, "cancel", $"A plan in state {plan.State} cannot be cancelled.", cancellationToken);
        }

        var from = plan.State;
        var now = time.GetUtcNow();
        PlanTimeline.Transition(plan, PlanState.Cancelled, actor.Name, PlanEventKinds.Cancelled, reason.Trim(), now);
        var cancelled = Entry(AuditActions.PlanCancelled, actor, plan, new { state = from.ToString() },
            new { state = plan.State.ToString(), reason = reason.Trim() });
        if (!await TrySaveAsync(db, cancelled, cancellationToken))
        {
            return PlanResult.Refused(ConcurrentChange);
        }

        PlansLog.Changed(logger, plan.Id, "cancelled", actor.Name, plan.State);
        await UnscheduleAsync(plan.Id, actor, cancellationToken);
        events.Publish(new PlanChanged(plan.Id, PlanChangeKinds.State));
        return PlanResult.Ok(plan.Id, "The plan is cancelled.");
    }

    /// <summary>Marks PendingApproval and Approved plans whose approval deadline has passed as Expired; returns how many.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        List<Guid> due;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            due = await db.PatchPlans.AsNoTracking()
                .Where(p => (p.State == PlanState.PendingApproval || p.State == PlanState.Approved) && p.ApprovalExpiresAt != null && p.ApprovalExpiresAt <= now)
                .Select(p => p.Id).ToListAsync(cancellationToken);
        }

        var expired = 0;
        var system = new Actor(SystemActor, null);
        foreach (var id in due)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var plan = await db.PatchPlans.SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
            // Checked again: an approval, edit or cancel may have come in since the query.
            if (plan is not { State: PlanState.PendingApproval or PlanState.Approved, ApprovalExpiresAt: { } at } || at > now)
            {
                continue;
            }

            var from = plan.State;
            PlanTimeline.Transition(plan, PlanState.Expired, SystemActor, PlanEventKinds.Expired,
                $"The approval lapsed unused at {Format(at)}; edit the plan to plan it again.", now);
            var lapsed = Entry(AuditActions.PlanExpired, system, plan, new { state = from.ToString() },
                new { state = plan.State.ToString(), approvalExpiresAt = at });
            if (!await TrySaveAsync(db, lapsed, cancellationToken))
            {
                continue;
            }

            expired++;
            PlansLog.Expired(logger, plan.Id, at);
            if (from == PlanState.Approved)
            {
                await UnscheduleAsync(plan.Id, system, cancellationToken);
            }

            events.Publish(new PlanChanged(plan.Id, PlanChangeKinds.State));
        }

        return expired;
    }

    private const string ConcurrentChange = "Someone else changed this plan at the same moment; reload it and try again.";

    private static string StaleRevision(PatchPlan plan) =>
        $"The plan changed since you opened it (it is now revision {plan.Revision}); reload it to see the change.";

    private static string Approvals(int count) => count == 1 ? "1 approval" : $"{count} approvals";

    internal static string Format(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";

    private static Task<PatchPlan?> LoadAsync(PortalDbContext db, Guid planId, CancellationToken cancellationToken) =>
        db.PatchPlans.Include(p => p.TargetGroups).Include(p => p.TargetTags).Include(p => p.TargetHosts)
            .AsSplitQuery().SingleOrDefaultAsync(p => p.Id == planId, cancellationToken);

    private static TargetSet Targets(PatchPlan plan) => TargetSet.Of(plan.TargetGroups, plan.TargetTags, plan.TargetHosts);

    /// <summary>The strictest approval rule among the targeted groups and the groups of the targeted hosts; at least 1.</summary>
    internal static async Task<int> RequiredApprovalsAsync(PortalDbContext db, TargetSet targets, CancellationToken cancellationToken)
    {
        var groupIds = targets.GroupIds.ToList();
        var viaHosts = await db.Hosts.AsNoTracking().Targeted(targets).SelectMany(h => h.Groups)
            .Select(g => (int?)g.RequiredApprovals).MaxAsync(cancellationToken);
        var direct = await db.HostGroups.AsNoTracking().Where(g => groupIds.Contains(g.Id))
            .Select(g => (int?)g.RequiredApprovals).MaxAsync(cancellationToken);
        return Math.Max(1, Math.Max(viaHosts ?? 1, direct ?? 1));
    }

    /// <summary>
    /// Why the plan's manifest does not allow a submission: no dry run of this revision, or target hosts it did not
    /// cover (a host joined a targeted group since). Null when it does.
    /// </summary>
    private static async Task<string?> ManifestRefusalAsync(PortalDbContext db, PatchPlan plan, CancellationToken cancellationToken)
    {
        var targeted = await db.Hosts.AsNoTracking().Targeted(Targets(plan)).Select(h => h.Id).ToListAsync(cancellationToken);
        if (targeted.Count == 0)
        {
            return "The plan's targets match no host.";
        }

        var manifest = await db.PlanManifestHosts.AsNoTracking().Where(m => m.PlanId == plan.Id)
            .Select(m => new { m.HostId, m.PlanRevision }).ToListAsync(cancellationToken);
        if (manifest.Count == 0 || manifest.Exists(m => m.PlanRevision != plan.Revision))
        {
            return $"Run the dry run of revision {plan.Revision} first: approvers decide on what it says would change.";
        }

        var missing = targeted.Except(manifest.Select(m => m.HostId)).Count();
        return missing > 0 ? $"{missing} target host(s) were not in the dry run (the targets changed since): run the dry run again." : null;
    }

    /// <summary>
    /// When the approval lapses unused: the end of the occurrence the plan is for (for every-occurrence plans the next
    /// one; the runs feature renews it), or a configured time after submission for "now" plans.
    /// </summary>
    private async Task<(DateTimeOffset? At, string? Error)> DeadlineAsync(PatchPlan plan, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (plan.Timing == PlanTiming.Now)
        {
            return (now.AddHours(options.Value.NowApprovalHours), null);
        }

        MaintenanceWindow? window = null;
        if (plan.WindowId is { } windowId)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            window = await db.MaintenanceWindows.AsNoTracking().SingleOrDefaultAsync(w => w.Id == windowId, cancellationToken);
        }

        if (window is null)
        {
            return (null, "The plan has no maintenance window; edit it to choose one.");
        }

        if (WindowRefusal(window, plan.Timing, plan.OccurrenceStart, now) is { } error)
        {
            return (null, error);
        }

        var occurrence = plan.Timing == PlanTiming.Occurrence
            ? schedule.OccurrenceStartingAt(window, plan.OccurrenceStart!.Value)
            : schedule.NextOccurrence(window, now);
        return (occurrence!.End, null);
    }

    /// <summary>Why the window cannot carry the plan's timing now (disabled, no future occurrence, the chosen one passed).</summary>
    private string? WindowRefusal(MaintenanceWindow window, PlanTiming timing, DateTimeOffset? occurrenceStart, DateTimeOffset now)
    {
        if (!window.Enabled)
        {
            return $"The window '{window.Name}' is disabled.";
        }

        if (schedule.NextOccurrence(window, now) is null)
        {
            return $"The window '{window.Name}' has no future occurrence.";
        }

        if (timing != PlanTiming.Occurrence)
        {
            return null;
        }

        var start = occurrenceStart!.Value;
        if (schedule.OccurrenceStartingAt(window, start) is null)
        {
            return $"The window '{window.Name}' has no occurrence starting at {Format(start)}.";
        }

        return start <= now ? $"The occurrence at {Format(start)} has already started; choose a later one." : null;
    }

    private static PlanInput Normalize(PlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input with
        {
            Name = (input.Name ?? "").Trim(),
            Description = string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim(),
            Packages = input.Scope == PlanPackageScope.NamedPackages ? Distinct(input.Packages) : [],
            ExcludedPackages = Distinct(input.ExcludedPackages),
            GroupIds = (input.GroupIds ?? []).Distinct().ToList(),
            TagIds = (input.TagIds ?? []).Distinct().ToList(),
            HostIds = (input.HostIds ?? []).Distinct().ToList(),
            WindowId = input.Timing == PlanTiming.Now ? null : input.WindowId,
            OccurrenceStart = input.Timing == PlanTiming.Occurrence ? input.OccurrenceStart : null,
            CanaryHostIds = (input.CanaryHostIds ?? []).Distinct().ToList(),
        };

        static List<string> Distinct(IReadOnlyList<string>? values) =>
            (values ?? []).Select(v => v.Trim()).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every rule: the field rules, then what needs the database and the calendar.</summary>
    private async Task<Dictionary<string, string>> ValidateAsync(PortalDbContext db, PlanInput input, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var errors = PlanInputRules.Validate(input);
        if (!errors.ContainsKey(PlanFields.Targets))
        {
            var groups = await db.HostGroups.AsNoTracking().CountAsync(g => input.GroupIds.Contains(g.Id), cancellationToken);
            var tags = await db.Tags.AsNoTracking().CountAsync(t => input.TagIds.Contains(t.Id), cancellationToken);
            var hosts = await db.Hosts.AsNoTracking().CountAsync(h => input.HostIds.Contains(h.Id), cancellationToken);
            var missing = groups != input.GroupIds.Count ? "A chosen group no longer exists."
                : tags != input.TagIds.Count ? "A chosen tag no longer exists."
                : hosts != input.HostIds.Count ? "A chosen host no longer exists."
                : null;
            if (missing is not null)
            {
                errors[PlanFields.Targets] = missing;
            }
            else
            {
                var targeted = await db.Hosts.AsNoTracking().Targeted(new TargetSet(input.GroupIds, input.TagIds, input.HostIds))
                    .Select(h => h.Id).ToListAsync(cancellationToken);
                if (targeted.Count == 0)
                {
                    errors[PlanFields.Targets] = "The chosen groups, tags and hosts contain no host.";
                }
                else if (input.CanaryHostIds.Except(targeted).ToList() is { Count: > 0 } strays)
                {
                    var names = await db.Hosts.AsNoTracking().Where(h => strays.Contains(h.Id)).OrderBy(h => h.Name).Select(h => h.Name).ToListAsync(cancellationToken);
                    errors[PlanFields.CanaryHosts] = names.Count == 0
                        ? "A chosen canary host no longer exists."
                        : $"Canary host(s) {string.Join(", ", names)} are not among the plan's targets.";
                }
            }
        }

        if (input.Timing != PlanTiming.Now && input.WindowId is { } windowId && !errors.ContainsKey(PlanFields.Window))
        {
            var window = await db.MaintenanceWindows.AsNoTracking().SingleOrDefaultAsync(w => w.Id == windowId, cancellationToken);
            var refusal = window is null ? "The chosen window no longer exists."
                : errors.ContainsKey(PlanFields.Occurrence) ? null
                : WindowRefusal(window, input.Timing, input.OccurrenceStart, now);
            if (refusal is not null)
            {
                errors[input.Timing == PlanTiming.Occurrence && window is not null && schedule.NextOccurrence(window, now) is not null
                    ? PlanFields.Occurrence : PlanFields.Window] = refusal;
            }
        }

        return errors;
    }

    private static async Task ApplyAsync(PortalDbContext db, PatchPlan plan, PlanInput input, CancellationToken cancellationToken)
    {
        plan.Name = input.Name;
        plan.Description = input.Description;
        plan.Scope = input.Scope;
        plan.Packages = [.. input.Packages];
        plan.ExcludedPackages = [.. input.ExcludedPackages];
        plan.Timing = input.Timing;
        plan.WindowId = input.WindowId;

        plan.OccurrenceStart = input.OccurrenceStart;
        plan.BatchSize = input.BatchSize;
        plan.BatchSizeIsPercent = input.BatchSizeIsPercent;
        plan.CanaryHostIds = [.. input.CanaryHostIds];
        plan.MaxFailures = input.MaxFailures;
        plan.MaxFailuresIsPercent = input.MaxFailuresIsPercent;
        plan.RebootPolicy = input.RebootPolicy;
        plan.HostTimeoutMinutes = input.HostTimeoutMinutes;

        await Replace(plan.TargetGroups, input.GroupIds, g => g.Id, ids => db.HostGroups.Where(g => ids.Contains(g.Id)).ToListAsync(cancellationToken));
        await Replace(plan.TargetTags, input.TagIds, t => t.Id, ids => db.Tags.Where(t => ids.Contains(t.Id)).ToListAsync(cancellationToken));
        await Replace(plan.TargetHosts, input.HostIds, h => h.Id, ids => db.Hosts.Where(h => ids.Contains(h.Id)).ToListAsync(cancellationToken));
    }

    // Only the difference is written, so an unchanged target set leaves the join tables alone.
    private static async Task Replace<T>(ICollection<T> current, IReadOnlyList<Guid> wanted, Func<T, Guid> id, Func<List<Guid>, Task<List<T>>> load)
    {
        foreach (var item in current.Where(c => !wanted.Contains(id(c))).ToList())
        {
            current.Remove(item);
        }

        var added = wanted.Except(current.Select(id)).ToList();
        if (added.Count > 0)
        {
            foreach (var item in await load(added))
            {
                current.Add(item);
            }
        }
    }

    private static async Task<PlanSnapshot> SnapshotAsync(PortalDbContext db, PatchPlan plan, CancellationToken cancellationToken)
    {
        var canaryIds = plan.CanaryHostIds.ToList();
        var canaries = canaryIds.Count == 0 ? []
            : await db.Hosts.AsNoTracking().Where(h => canaryIds.Contains(h.Id)).OrderBy(h => h.Name).Select(h => h.Name).ToListAsync(cancellationToken);
        return PlanSnapshot.Of(plan, canaries);
    }

    /// <summary>Saves the pending changes with the audit entry that records them, in one transaction; false when someone else changed the plan first.</summary>
    private async Task<bool> TrySaveAsync(PortalDbContext db, AuditEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            await audit.SaveWithAsync(db, entry, cancellationToken);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;
        }
    }

    private async Task<PlanResult> RefuseAsync(
        PatchPlan plan, Actor actor, string action, string reason, CancellationToken cancellationToken, ChangeStatus status = ChangeStatus.Conflict)
    {
        PlansLog.Refused(logger, plan.Id, action, actor.Name, reason);
        await audit.RecordAsync(AuditEntry.By(actor, AuditActions.PlanActionRefused, AuditTarget(plan)) with
        {
            Succeeded = false,
            After = new { action, state = plan.State.ToString(), revision = plan.Revision, reason },
        }, cancellationToken);
        return PlanResult.Refused(reason, status);
    }

    private static AuditEntry Entry(string action, Actor actor, PatchPlan plan, object? before, object? after) =>
        AuditEntry.By(actor, action, AuditTarget(plan)) with { Before = before, After = after };

    internal static string AuditTarget(PatchPlan plan) => $"{plan.Name} ({plan.Id})";

    private async Task UnscheduleAsync(Guid planId, Actor actor, CancellationToken cancellationToken)
    {
        try
        {
            await runs.UnscheduleAsync(planId, actor.Name, cancellationToken);
            events.Publish(new PlanChanged(planId, PlanChangeKinds.State));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The plan's own change is committed; a run left behind still checks the plan's state before it starts.
            PlansLog.UnscheduleFailed(logger, planId, e);
        }
    }
}

/// <summary>A plan's content as the audit trail and the change list of an edit see it (targets by name).</summary>
internal sealed record PlanSnapshot(
    string Name,
    string? Description,
    string Scope,
    IReadOnlyList<string> Packages,
    IReadOnlyList<string> ExcludedPackages,
    IReadOnlyList<string> Groups,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> Hosts,
    string Timing,
    Guid? WindowId,
    DateTimeOffset? OccurrenceStart,
    string BatchSize,
    IReadOnlyList<string> CanaryHosts,
    string MaxFailures,
    string RebootPolicy,
    int HostTimeoutMinutes)
{
    public static PlanSnapshot Of(PatchPlan plan, IReadOnlyList<string> canaries) => new(
        plan.Name,
        plan.Description,
        plan.Scope.ToString(),
        [.. plan.Packages.Order(StringComparer.Ordinal)],
        [.. plan.ExcludedPackages.Order(StringComparer.Ordinal)],
        [.. plan.TargetGroups.Select(g => g.Name).Order(StringComparer.Ordinal)],
        [.. plan.TargetTags.Select(t => t.Name).Order(StringComparer.Ordinal)],
        [.. plan.TargetHosts.Select(h => h.Name).Order(StringComparer.Ordinal)],
        plan.Timing.ToString(),
        plan.WindowId,
        plan.OccurrenceStart,
        plan.BatchSizeIsPercent ? $"{plan.BatchSize}%" : plan.BatchSize.ToString(CultureInfo.InvariantCulture),
        canaries,
        plan.MaxFailuresIsPercent ? $"{plan.MaxFailures}%" : plan.MaxFailures.ToString(CultureInfo.InvariantCulture),
        plan.RebootPolicy.ToString(),
        plan.HostTimeoutMinutes);

    /// <summary>The names of the parts that differ, in the editor's order.</summary>
    public static IReadOnlyList<string> Changes(PlanSnapshot before, PlanSnapshot after)
    {
        var parts = new (string Label, Func<PlanSnapshot, object?> Value)[]
        {
            ("name", s => s.Name),
            ("description", s => s.Description),
            ("scope", s => s.Scope),
            ("packages", s => string.Join(',', s.Packages)),
            ("exclusions", s => string.Join(',', s.ExcludedPackages)),
            ("target groups", s => string.Join(',', s.Groups)),
            ("target tags", s => string.Join(',', s.Tags)),
            ("target hosts", s => string.Join(',', s.Hosts)),
            ("timing", s => s.Timing),
            ("window", s => s.WindowId),
            ("occurrence", s => s.OccurrenceStart),
            ("batch size", s => s.BatchSize),
            ("canary hosts", s => string.Join(',', s.CanaryHosts)),
            ("max failures", s => s.MaxFailures),
            ("reboot policy", s => s.RebootPolicy),
            ("host timeout", s => s.HostTimeoutMinutes),
        };
        return parts.Where(p => !Equals(p.Value(before), p.Value(after))).Select(p => p.Label).ToList();
    }
}
