using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Plans;

/// <summary>The outcome of a dry run: how many hosts were asked, how many changes they expect, how many failed.</summary>
public sealed record DryRunSummary(int Hosts, int Changes, int Failed, int RebootExpected);

/// <summary>A dry run that was refused, or started and running until <see cref="Completion"/> ends.</summary>
public sealed record DryRunStart(PlanResult? Refusal, Task<PlanResult>? Completion)
{
    public static DryRunStart Refused(PlanResult refusal) => new(refusal, null);
}

/// <summary>
/// Asks every target host's agent what the plan would change there (the agent's dry run changes nothing), with
/// bounded concurrency, and stores the answers as the plan's manifest for its current revision, replacing the
/// previous one. Hosts that cannot answer are kept in the manifest with their error, so approvers see them.
/// </summary>
public sealed class PlanDryRun(
    IDbContextFactory<PortalDbContext> factory,
    IAgentClient agents,
    DryRunBoard board,
    AuditLog audit,
    PlanEventHub events,
    IOptions<PlansOptions> options,
    TimeProvider time,
    ILogger<PlanDryRun> logger)
{
    private const int MaxChangeText = 200;

    /// <summary>
    /// Whether a plan in this state may be dry-run: before submission, or pending approval when its manifest is not
    /// for the current revision (the plan was edited after it was submitted or approved).
    /// </summary>
    public static bool IsAllowed(PlanState state, bool manifestIsCurrent) =>
        state is PlanState.Draft or PlanState.Rejected || (state == PlanState.PendingApproval && !manifestIsCurrent);

    /// <summary>Dry-runs the plan and returns when every host has answered (or the refusal).</summary>
    public async Task<PlanResult> RunAsync(Guid planId, Actor actor, CancellationToken cancellationToken)
    {
        var start = await StartAsync(planId, actor, cancellationToken);
        return start.Refusal ?? await start.Completion!;
    }

    /// <summary>
    /// Checks that the plan may be dry-run now and claims it; the dry run itself is <see cref="DryRunStart.Completion"/>,
    /// which the caller awaits or leaves running (the API answers 202 and scripts poll the progress).
    /// </summary>
    public async Task<DryRunStart> StartAsync(Guid planId, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        PatchPlan? plan;
        IReadOnlyList<ManagedHost> hosts;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            plan = await db.PatchPlans.AsNoTracking().Include(p => p.TargetGroups).Include(p => p.TargetTags).Include(p => p.TargetHosts)
                .AsSplitQuery().SingleOrDefaultAsync(p => p.Id == planId, cancellationToken);
            if (plan is null)
            {
                return DryRunStart.Refused(PlanResult.Missing());
            }

            var current = await db.PlanManifestHosts.AnyAsync(m => m.PlanId == planId && m.PlanRevision == plan.Revision, cancellationToken);
            if (!IsAllowed(plan.State, current))
            {
                return DryRunStart.Refused(await RefuseAsync(plan, actor, plan.State == PlanState.PendingApproval
                    ? "The plan is pending approval and its dry run is up to date; approvers decide on it as it is."
                    : $"A plan in state {plan.State} cannot be dry-run; only a draft, a rejected plan or an edited one pending approval can.", cancellationToken));
            }

            hosts = await db.ResolveAsync(TargetSet.Of(plan.TargetGroups, plan.TargetTags, plan.TargetHosts), cancellationToken);
        }

        if (hosts.Count == 0)
        {
            return DryRunStart.Refused(await RefuseAsync(plan, actor, "The plan's targets match no host.", cancellationToken));
        }

        if (!board.TryStart(new DryRunProgress(planId, 0, hosts.Count, actor.Name, time.GetUtcNow())))
        {
            return DryRunStart.Refused(PlanResult.Refused("A dry run of this plan is already under way."));
        }

        return new DryRunStart(null, ExecuteAsync(plan, hosts, actor, cancellationToken));
    }

    private async Task<PlanResult> ExecuteAsync(PatchPlan plan, IReadOnlyList<ManagedHost> hosts, Actor actor, CancellationToken cancellationToken)
    {
        var planId = plan.Id;
        try
        {
            events.Publish(new PlanChanged(planId, PlanChangeKinds.DryRunProgress));
            var manifest = new ConcurrentBag<PlanManifestHost>();
            await Parallel.ForEachAsync(hosts, new ParallelOptions { MaxDegreeOfParallelism = options.Value.DryRunConcurrency, CancellationToken = cancellationToken },
                async (host, token) =>
                {
                    manifest.Add(await CheckAsync(plan, host, token));
                    board.Advance(planId);
                    events.Publish(new PlanChanged(planId, PlanChangeKinds.DryRunProgress));
                });

            var summary = new DryRunSummary(
                manifest.Count, manifest.Sum(m => m.Changes.Count), manifest.Count(m => m.Error is not null), manifest.Count(m => m.RequiresReboot));
            await StoreAsync(plan, [.. manifest.OrderBy(m => m.HostName, StringComparer.Ordinal)], summary, actor, cancellationToken);
            PlansLog.DryRunFinished(logger, planId, summary.Hosts, summary.Changes, summary.Failed);
            await audit.RecordAsync(AuditEntry.By(actor, AuditActions.PlanDryRun, PlanService.AuditTarget(plan)) with
            {
                After = new { revision = plan.Revision, hosts = summary.Hosts, changes = summary.Changes, failed = summary.Failed, rebootExpected = summary.RebootExpected },
            }, cancellationToken);
            return PlanResult.Ok(planId, Describe(summary));
        }
        finally
        {
            board.Finish(planId);
            events.Publish(new PlanChanged(planId, PlanChangeKinds.DryRunFinished));
        }
    }

    public static string Describe(DryRunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var text = $"Dry run of {summary.Hosts} host(s): {summary.Changes} package change(s)";
        if (summary.RebootExpected > 0)
        {
            text += $", reboot expected on {summary.RebootExpected}";
        }

        return summary.Failed > 0 ? $"{text}; {summary.Failed} host(s) could not answer." : text + ".";
    }

    private async Task<PlanManifestHost> CheckAsync(PatchPlan plan, ManagedHost host, CancellationToken cancellationToken)
    {
        var entry = new PlanManifestHost
        {
            PlanId = plan.Id,
            HostId = host.Id,
            HostName = host.Name,
            PlanRevision = plan.Revision,
            CheckedAt = time.GetUtcNow(),
        };
        if (host.AgentCertificateFingerprint is null)
        {
            entry.Error = "The host has not enrolled its agent yet.";
            return entry;
        }

        var agent = new AgentEndpoint(host.Id, host.Name, host.Address, host.AgentPort, host.AgentCertificateFingerprint);
        IReadOnlyCollection<string>? pending = null;
        if (PlanPackageSelection.NeedsPendingList(plan.Scope, plan.ExcludedPackages))
        {
            var patches = await agents.ListPatchesAsync(agent, cancellationToken);
            if (patches.Failure is { } listFailure)
            {
                return Failed(entry, plan, host, "Listing its pending updates failed: " + Describe(listFailure));
            }

            pending = PlanPackageSelection.PendingNames(patches.Value!);
        }

        if (PlanPackageSelection.ForHost(plan.Scope, plan.Packages, plan.ExcludedPackages, pending) is not { } selection)
        {
            // None of the named packages is pending here: nothing would change, and asking the agent with an empty
            // list would mean "everything" to it.
            entry.CheckedAt = time.GetUtcNow();
            return entry;
        }

        var result = await agents.DryRunPatchesAsync(agent, selection, cancellationToken);
        entry.CheckedAt = time.GetUtcNow();
        if (result.Failure is { } failure)
        {
            return Failed(entry, plan, host, Describe(failure));
        }

        entry.RequiresReboot = result.Value!.RequiresReboot;
        entry.Changes = result.Value.Changes
            .Where(c => !string.IsNullOrWhiteSpace(c.Package))
            .Select(c => new ManifestChange { Package = Clip(c.Package)!, From = Clip(c.From), To = Clip(c.To) })
            .OrderBy(c => c.Package, StringComparer.Ordinal)
            .ToList();
        return entry;
    }

    private PlanManifestHost Failed(PlanManifestHost entry, PatchPlan plan, ManagedHost host, string error)
    {
        entry.Error = error.Length <= 2000 ? error : error[..2000];
        PlansLog.DryRunHostFailed(logger, plan.Id, host.Id, host.Name, entry.Error);
        return entry;
    }

    private static string Describe(AgentFailure failure) => failure.Kind switch
    {
        AgentFailureKind.NotEnrolled => "the host has not enrolled its agent yet",
        AgentFailureKind.Unreachable => $"the agent is unreachable ({failure.Message})",
        AgentFailureKind.Timeout => $"the agent did not answer in time ({failure.Message})",
        AgentFailureKind.CertificateRejected => $"the agent's certificate was refused ({failure.Message})",
        AgentFailureKind.AgentError => $"the agent refused: {failure.Message}" + (failure.ErrorCode is null ? "" : $" ({failure.ErrorCode})"),
        _ => $"the agent answered something unexpected ({failure.Message})",
    };

    /// <summary>Replaces the plan's manifest in one transaction and records the dry run on the timeline.</summary>
    private async Task StoreAsync(PatchPlan plan, List<PlanManifestHost> manifest, DryRunSummary summary, Actor actor, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.PlanManifestHosts.Where(m => m.PlanId == plan.Id).ExecuteDeleteAsync(cancellationToken);
        db.PlanManifestHosts.AddRange(manifest);
        db.PlanEvents.Add(new PlanEvent
        {
            PlanId = plan.Id,
            OccurredAt = time.GetUtcNow(),
            Actor = actor.Name,
            Kind = PlanEventKinds.DryRun,
            Message = $"Revision {plan.Revision}: {Describe(summary)}",
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task<PlanResult> RefuseAsync(PatchPlan plan, Actor actor, string reason, CancellationToken cancellationToken)
    {
        PlansLog.Refused(logger, plan.Id, "dry run", actor.Name, reason);
        await audit.RecordAsync(AuditEntry.By(actor, AuditActions.PlanActionRefused, PlanService.AuditTarget(plan)) with
        {
            Succeeded = false,
            After = new { action = "dry run", state = plan.State.ToString(), revision = plan.Revision, reason },
        }, cancellationToken);
        return PlanResult.Refused(reason);
    }

    private static string? Clip(string? value) => value is null || value.Length <= MaxChangeText ? value : value[..MaxChangeText];
}
