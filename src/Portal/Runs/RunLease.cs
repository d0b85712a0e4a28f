using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Runs;

/// <summary>
/// This portal process: its node name (Portal:NodeName, the machine's name by default) and a random id per start, so
/// a restarted node knows its old claims.
/// </summary>
public sealed class PortalNode
{
    public PortalNode()
        : this(Environment.MachineName, Guid.NewGuid().ToString("N"))
    {
    }

    public PortalNode(string machine, string instance)
    {
        Machine = machine;
        Id = $"{machine}/{instance}";
    }

    public string Machine { get; }

    /// <summary>This process: the prefix of every claim its executors take.</summary>
    public string Id { get; }

    /// <summary>The prefix of claims taken by any process of this node (past or present).</summary>
    public string MachinePrefix => Machine + "/";

    /// <summary>A claim owner for one executor: two executors of one run in the same process must not both win.</summary>
    public string NewClaimOwner() => $"{Id}/{Guid.NewGuid():N}";
}

/// <summary>
/// The claim an executor holds on a run while it works, renewed as it goes: a second executor of the same run
/// (Hangfire requeueing a job, the watchdog, a second node) sees a live claim and leaves the run alone. Each claim
/// is one conditional UPDATE, so two claimants cannot both win.
/// </summary>
public sealed class RunLease(IDbContextFactory<PortalDbContext> factory, PortalNode node, IOptions<RunsOptions> options, TimeProvider time)
{
    public TimeSpan Duration => TimeSpan.FromSeconds(options.Value.LeaseSeconds);

    /// <summary>A new owner for one executor's claim (see <see cref="PortalNode.NewClaimOwner"/>).</summary>
    public string NewOwner() => node.NewClaimOwner();

    /// <summary>Claims (or renews) the run for <paramref name="owner"/>; false when another live executor holds it.</summary>
    public async Task<bool> TryAcquireAsync(Guid runId, string owner, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var until = now + Duration;
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var claimed = await db.PatchRuns
            .Where(r => r.Id == runId && (r.LeaseOwner == null || r.LeaseOwner == owner || r.LeaseExpiresAt == null || r.LeaseExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, owner).SetProperty(r => r.LeaseExpiresAt, until), cancellationToken);
        return claimed == 1;
    }

    /// <summary>Extends the claim; false when it was lost (it lapsed and another executor took the run).</summary>
    public async Task<bool> RenewAsync(Guid runId, string owner, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + Duration;
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.PatchRuns.Where(r => r.Id == runId && r.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseExpiresAt, until), cancellationToken) == 1;
    }

    public async Task ReleaseAsync(Guid runId, string owner)
    {
        await using var db = await factory.CreateDbContextAsync();
        await db.PatchRuns.Where(r => r.Id == runId && r.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, (string?)null).SetProperty(r => r.LeaseExpiresAt, (DateTimeOffset?)null));
    }

    /// <summary>
    /// Drops claims that earlier processes of this node left when they stopped (they cannot be alive: a node name
    /// belongs to one process at a time; two nodes on one machine set different Portal:NodeName), so a restarted
    /// portal resumes at once.
    /// </summary>
    public async Task<int> ReleaseStaleClaimsOfThisMachineAsync(CancellationToken cancellationToken)
    {
        var machine = node.MachinePrefix;
        var mine = node.Id + "/";
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.PatchRuns
            .Where(r => r.LeaseOwner != null && r.LeaseOwner.StartsWith(machine) && !r.LeaseOwner.StartsWith(mine))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, (string?)null).SetProperty(r => r.LeaseExpiresAt, (DateTimeOffset?)null), cancellationToken);
    }

    /// <summary>Whether nobody works on the run now (no claim, or a lapsed one).</summary>
    public static bool IsFree(PatchRun run, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.LeaseOwner is null || run.LeaseExpiresAt is null || run.LeaseExpiresAt < now;
    }
}
