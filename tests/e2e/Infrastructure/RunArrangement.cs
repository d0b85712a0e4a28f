using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Pki;
using PatchPortal.Portal.Runs;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Tests.E2E.Infrastructure;

/// <summary>
/// Runs arranged and inspected through a portal's own database, Hangfire storage and agents, as the plans feature
/// and the run engine would: tests of the run engine use it so they do not depend on the plan pages.
/// </summary>
public static class RunArrangement
{
    /// <summary>
    /// A one-off window in <paramref name="zoneId"/> from <paramref name="windowStart"/> and a plan for the named hosts in
    /// its next occurrence, with its dry-run manifest stored, moved to <paramref name="state"/> (Approved or PendingApproval).
    /// </summary>
    public static async Task<PatchPlan> AddPlanAsync(
        IDbContextFactory<PortalDbContext> factory, string planName, IReadOnlyList<string> hosts, string zoneId, DateTimeOffset windowStart,
        int durationMinutes, int cutoffMinutes, string requestedBy, Action<PatchPlan>? configure = null, PlanState state = PlanState.Approved)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var now = DateTimeOffset.UtcNow;
        await using var db = await factory.CreateDbContextAsync();
        var window = new MaintenanceWindow
        {
            Name = $"{planName} window {suffix}",
            TimeZoneId = zoneId,
            StartLocal = DateTime.SpecifyKind(TimeZoneInfo.ConvertTime(windowStart, zone).DateTime, DateTimeKind.Unspecified),
            DurationMinutes = durationMinutes,
            CutoffMinutes = cutoffMinutes,
            CreatedAt = now,
            CreatedBy = requestedBy,
            UpdatedAt = now,
        };
        db.MaintenanceWindows.Add(window);
        var plan = new PatchPlan
        {
            Name = $"{planName} {suffix}",
            RequestedBy = requestedBy,
            Timing = PlanTiming.NextOccurrence,
            Window = window,
            RebootPolicy = RebootPolicy.Never,
            HostTimeoutMinutes = 10,
            CreatedAt = now,
            UpdatedAt = now,
            SubmittedAt = now,
        };
        configure?.Invoke(plan);
        foreach (var host in await db.Hosts.Where(h => hosts.Contains(h.Name)).ToListAsync())
        {
            plan.TargetHosts.Add(host);
            plan.Manifest.Add(new PlanManifestHost { HostId = host.Id, HostName = host.Name, PlanRevision = plan.Revision, CheckedAt = now });
        }

        plan.TransitionTo(PlanState.PendingApproval);
        if (state == PlanState.Approved)
        {
            plan.TransitionTo(PlanState.Approved);
        }

        db.PatchPlans.Add(plan);
        await db.SaveChangesAsync();
        return plan;
    }

    /// <summary>Hands an approved plan to the portal's run scheduler, as approval does; returns the scheduled run's id.</summary>
    public static async Task<Guid> ScheduleAsync(IDbContextFactory<PortalDbContext> factory, JobStorage storage, Guid planId, string approver)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var scheduler = new RunScheduler(factory, new MaintenanceSchedule(NullLogger<MaintenanceSchedule>.Instance), new BackgroundJobClient(storage),
            new AuditLog(factory, TimeProvider.System), new RunEventHub(), Options.Create(new RunsOptions()), TimeProvider.System,
            NullLogger<RunScheduler>.Instance);
        await scheduler.ScheduleAsync(planId, approver, CancellationToken.None);
        await using var db = await factory.CreateDbContextAsync();
        return await db.PatchRuns.Where(r => r.PlanId == planId).Select(r => r.Id).SingleAsync();
    }

    public static async Task<PatchRun> GetRunAsync(IDbContextFactory<PortalDbContext> factory, Guid runId)
    {
        ArgumentNullException.ThrowIfNull(factory);
        await using var db = await factory.CreateDbContextAsync();
        return await db.PatchRuns.AsNoTracking().Include(r => r.Hosts).SingleAsync(r => r.Id == runId);
    }

    /// <summary>
    /// The patch jobs a host's agent ran since <paramref name="since"/>, asked of the agent itself with the portal's
    /// client identity (its CA in <paramref name="pkiDirectory"/>).
    /// </summary>
    public static async Task<IReadOnlyList<JobSummary>> PatchJobsAsync(IDbContextFactory<PortalDbContext> factory, string pkiDirectory, string hostName, DateTimeOffset since)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ManagedHost host;
        await using (var db = await factory.CreateDbContextAsync())
        {
            host = await db.Hosts.AsNoTracking().SingleAsync(h => h.Name == hostName);
        }

        using var ca = new PortalCertificateAuthority(Options.Create(new PkiOptions()), new PkiDirectory(pkiDirectory),
            TimeProvider.System, NullLogger<PortalCertificateAuthority>.Instance);
        var revoked = new RevokedCertificates();
        using var connections = new AgentConnections(new AgentCertificateValidator(ca, revoked), revoked);
        var client = new AgentClient(connections, NullLogger<AgentClient>.Instance);
        var jobs = await client.ListJobsAsync(new AgentEndpoint(host.Id, host.Name, host.Address, host.AgentPort, host.AgentCertificateFingerprint),
            JobOperations.PatchApply, 100, CancellationToken.None);
        Assert.True(jobs.Succeeded, jobs.Failure?.Message);
        return jobs.Value!.Where(j => j.CreatedAt >= since).ToList();
    }
}
