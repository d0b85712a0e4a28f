using System.Diagnostics;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;

namespace PatchPortal.Portal.Inventory;

/// <summary>
/// Full refresh of one host: health, facts, installed packages and pending updates. Idempotent: the inventory is
/// replaced, not merged, so running it twice leaves the same rows. Expected failures (the agent is down, slow,
/// refuses our certificate, answers garbage) are recorded on the host and never thrown.
/// </summary>
[AutomaticRetry(Attempts = 0)] // the next poll is the retry; Hangfire's hours-long back-off would only pile up
public sealed class HostRefreshJob(
    IDbContextFactory<PortalDbContext> factory,
    IAgentClient agents,
    HostEventHub events,
    IOptions<InventoryOptions> options,
    TimeProvider time,
    ILogger<HostRefreshJob> logger)
{
    public const string ChangeKind = "inventory";

    public async Task RefreshAsync(Guid hostId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var host = await db.Hosts.SingleOrDefaultAsync(h => h.Id == hostId, ct);
        if (host is null)
        {
            InventoryLog.HostGone(logger, hostId);
            return;
        }

        if (host.AgentCertificateFingerprint is null)
        {
            HostHealthPolicy.RecordPendingEnrolment(host);
            await SaveAsync(db, host, latency: null, ct);
            return;
        }

        var agent = HostPolling.EndpointOf(host);
        var started = Stopwatch.GetTimestamp();
        var health = await agents.GetHealthAsync(agent, ct);
        var latency = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (health.Failure is { } unreachable)
        {
            HostHealthPolicy.RecordFailure(host, unreachable, options.Value.UnreachableAfterFailures);
            InventoryLog.PollFailed(logger, host.Id, host.Name, host.HealthReason ?? "");
            await SaveAsync(db, host, latency: null, ct);
            return;
        }

        var now = time.GetUtcNow();
        HostHealthPolicy.RecordAnswer(host, health.Value!.Status, HostPolling.FailingChecks(health.Value), now);
        host.RebootRequired = health.Value.RebootRequired;

        var info = await agents.GetSystemInfoAsync(agent, ct);
        var packages = info.Succeeded ? await agents.ListPackagesAsync(agent, ct) : null;
        var patches = packages is { Succeeded: true } ? await agents.ListPatchesAsync(agent, ct) : null;
        var failure = info.Failure ?? packages?.Failure ?? patches?.Failure;
        if (failure is not null)
        {
            HostHealthPolicy.RecordInventoryFailure(host, failure, now);
            InventoryLog.PollFailed(logger, host.Id, host.Name, host.HealthReason ?? "");
            await SaveAsync(db, host, latency, ct);
            return;
        }

        ApplyFacts(host, info.Value!);
        var installed = ToInstalled(host.Id, packages!.Value!, now);
        var pending = ToPending(host.Id, patches!.Value!, now);
        host.PendingSecurityCount = pending.Count(p => p.IsSecurity);
        host.PendingOtherCount = pending.Count - host.PendingSecurityCount;
        host.RebootRequired = health.Value.RebootRequired || info.Value!.RebootRequired;
        host.InventoryRefreshedAt = now;

        // Replace, not merge: a few thousand rows per host are cheaper to delete and insert in bulk than to diff
        // through the change tracker, and replacing makes the job idempotent.
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            await db.InstalledPackages.Where(p => p.HostId == host.Id).ExecuteDeleteAsync(ct);
            await db.PendingUpdates.Where(p => p.HostId == host.Id).ExecuteDeleteAsync(ct);
            db.InstalledPackages.AddRange(installed);
            db.PendingUpdates.AddRange(pending);
            db.HealthSamples.Add(HostPolling.SampleOf(host, now, latency));
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        InventoryLog.Refreshed(logger, host.Id, host.Name, installed.Count, host.PendingSecurityCount, host.PendingOtherCount);
        events.Publish(new HostChanged(host.Id, ChangeKind));
    }

    private async Task SaveAsync(PortalDbContext db, ManagedHost host, int? latency, CancellationToken ct)
    {
        db.HealthSamples.Add(HostPolling.SampleOf(host, time.GetUtcNow(), latency));
        await db.SaveChangesAsync(ct);
        events.Publish(new HostChanged(host.Id, HostHealthJob.ChangeKind));
    }

    private static void ApplyFacts(ManagedHost host, SystemInfoDto info)
    {
        host.OsName = Clip(info.Os.Name, 200);
        host.OsVersion = Clip(info.Os.Version, 100);
        host.KernelVersion = Clip(info.Kernel.Version, 200);
        host.Architecture = Clip(info.Os.Architecture, 50);
        host.PackageFamily = Clip(info.PackageManager, 50);
    }

    // An agent may list a package twice (multi-arch quirks, or garbage); the table allows one row per name and arch.
    private static List<InstalledPackage> ToInstalled(Guid hostId, IReadOnlyList<PackageDto> packages, DateTimeOffset now) =>
        packages
            .Where(p => !string.IsNullOrWhiteSpace(p.Name) && !string.IsNullOrWhiteSpace(p.Version))
            .DistinctBy(p => (p.Name, p.Architecture ?? ""))
            .Select(p => new InstalledPackage
            {
                HostId = hostId,
                Name = Clip(p.Name, 200)!,
                Version = Clip(p.Version, 200)!,
                Architecture = Clip(p.Architecture ?? "", 50)!,
                ReportedAt = now,
            })
            .ToList();

    // A patch names the packages it affects; the portal keeps one pending update per package, security if any
    // patch touching it is.
    private static List<PendingUpdate> ToPending(Guid hostId, IReadOnlyList<PatchDto> patches, DateTimeOffset now) =>
        patches
            .SelectMany(p => (p.AffectedPackages.Count > 0 ? p.AffectedPackages : [p.Name]).Select(name => (Name: name, Patch: p)))
            .Where(x => !string.IsNullOrWhiteSpace(x.Name))
            .GroupBy(x => x.Name, StringComparer.Ordinal)
            .Select(g =>
            {
                var patch = g.OrderByDescending(x => x.Patch.Security).First().Patch;
                return new PendingUpdate
                {
                    HostId = hostId,
                    PackageName = Clip(g.Key, 200)!,
                    CurrentVersion = Clip(patch.CurrentVersion, 200),
                    CandidateVersion = Clip(patch.CandidateVersion ?? "", 200)!,
                    Source = Clip(patch.Source, 300),
                    IsSecurity = g.Any(x => x.Patch.Security),
                    DetectedAt = now,
                };
            })
            .ToList();

    private static string? Clip(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
