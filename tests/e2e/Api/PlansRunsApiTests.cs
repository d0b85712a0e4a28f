using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Plans;

namespace PatchPortal.Tests.E2E.Api;

/// <summary>
/// Plans from draft to run, and the run's controls, through the REST API of the real portal: an Operator's script
/// writes and submits, an Approver's script decides, each with its own token, and a real agent (simulated backend)
/// patches the host. The requester ≠ approver rule holds for tokens exactly as in the UI.
/// </summary>
[Collection(PortalTests.Name)]
public sealed class PlansRunsApiTests(PortalFixture fixture) : IAsyncLifetime
{
    private static readonly IPAddress AgentAddress = IPAddress.Parse("127.0.0.141");
    private static readonly string[] HostilePackages = ["-oDebug::Evil=1", "bash;reboot"];
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);
    private readonly TestPki _unused = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("patchportal-api-plans-").FullName;
    private AgentProcess? _agent;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_agent is not null)
        {
            await _agent.DisposeAsync();
        }

        _unused.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Scripts_PlanApproveAndSteerARun_WithRequesterAndApproverApart_AndTheAuditNamesEachToken()
    {
        await using var adminContext = await fixture.NewAdminContextAsync();
        var adminPage = await adminContext.NewPageAsync();
        using var admin = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(adminPage, "plans-admin", "read", "write", "approve"));
        await using var operatorContext = await PlanFleet.UserAsync(fixture, adminPage, "plan-script-op@e2e.test", "Operator");
        using var ops = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(await operatorContext.NewPageAsync(), "plans-ops", "read", "write"));
        await using var approverContext = await PlanFleet.UserAsync(fixture, adminPage, "plan-script-ap@e2e.test", "Approver");
        using var approver = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(await approverContext.NewPageAsync(), "plans-approver", "read", "approve"));

        // A host whose agent takes 20 s per job, so a script can steer the run while it patches.
        var group = await (await admin.PostAsJsonAsync("/api/v1/groups", new { name = "api-plans" })).ReadJsonAsync(HttpStatusCode.Created);
        var groupId = (string)group["id"]!;
        var port = Repository.FreePort(AgentAddress);
        var added = await (await admin.PostAsJsonAsync("/api/v1/hosts", new { name = "api-plan-host", address = AgentAddress.ToString(), agentPort = port, groupIds = new[] { groupId } }))
            .ReadJsonAsync(HttpStatusCode.Created);
        var hostId = (string)added["host"]!["id"]!;
        _agent = await AgentEnrollment.EnrolAndStartAsync(_directory, "api-plan-host", AgentAddress, (string)added["enrollment"]!["command"]!, _unused, port: port, jobDurationMs: 20_000);
        await Wait.ForAsync(async () =>
        {
            var host = await (await admin.GetAsync($"/api/v1/hosts/{hostId}")).ReadJsonAsync(HttpStatusCode.OK);
            return (string?)host["health"] == "healthy" ? host : null;
        }, TimeSpan.FromSeconds(90), "the plan's host to become healthy");

        // The Operator drafts a plan to patch the group now.
        var draft = await (await ops.PostAsJsonAsync("/api/v1/plans", new
        {
            name = "api-plan",
            targets = new { groupIds = new[] { groupId } },
            timing = "now",
            rebootPolicy = "never",
        })).ReadJsonAsync(HttpStatusCode.Created);
        var planId = (string)draft["id"]!;
        Assert.Equal(("draft", 1, "plan-script-op@e2e.test"), ((string?)draft["state"], (int)draft["revision"]!, (string?)draft["requestedBy"]));
        var early = await (await ops.PostAsJsonAsync($"/api/v1/plans/{planId}/submit", new { revision = 1 })).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("dry run", (string?)early["detail"], StringComparison.OrdinalIgnoreCase);

        // The Admin edits it (and so becomes one of its authors); the Operator's stale edit is refused.
        var edited = await (await admin.PutAsJsonAsync($"/api/v1/plans/{planId}", new
        {
            name = "api-plan",
            description = "monthly patching, from a script",
            targets = new { groupIds = new[] { groupId } },
            timing = "now",
            rebootPolicy = "never",
            revision = 1,
        })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, (int)edited["plan"]!["revision"]!);
        await (await ops.PutAsJsonAsync($"/api/v1/plans/{planId}", new { name = "api-plan-stale", targets = new { groupIds = new[] { groupId } }, timing = "now", revision = 1 }))
            .ProblemAsync(HttpStatusCode.Conflict);

        // A dry run in the background: 202, then the script polls its progress until the manifest is current.
        using (var started = await ops.PostAsync($"/api/v1/plans/{planId}/dry-run", content: null))
        {
            await started.ReadJsonAsync(HttpStatusCode.Accepted);
            Assert.Equal($"/api/v1/plans/{planId}/dry-run", started.Headers.Location?.OriginalString);
        }

        var dryRun = await Wait.ForAsync(async () =>
        {
            var status = await (await ops.GetAsync($"/api/v1/plans/{planId}/dry-run")).ReadJsonAsync(HttpStatusCode.OK);
            return !(bool)status["running"]! && (bool)status["current"]! ? status : null;
        }, TimeSpan.FromSeconds(60), "the dry run to finish");
        Assert.Equal((1, 0), ((int)dryRun["hosts"]!, (int)dryRun["failed"]!));
        Assert.True((int)dryRun["changes"]! > 0, dryRun.ToJsonString());
        var manifest = await (await ops.GetAsync($"/api/v1/plans/{planId}/manifest?pageSize=500")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal((int)dryRun["changes"]!, (int)manifest["total"]!);
        Assert.All(manifest["items"]!.AsArray(), row => Assert.Equal("api-plan-host", (string?)row!["host"]));

        var submitted = await (await ops.PostAsJsonAsync($"/api/v1/plans/{planId}/submit", new { revision = 2 })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("pendingApproval", (string?)submitted["plan"]!["state"]);
        var waiting = await (await approver.GetAsync("/api/v1/plans?waitingForMe=true")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(waiting["items"]!.AsArray(), p => (string?)p!["id"] == planId);

        // Nobody approves what they wrote: the Operator's token lacks the scope, the Admin edited the plan.
        await (await ops.PostAsJsonAsync($"/api/v1/plans/{planId}/approve", new { revision = 2 })).ProblemAsync(HttpStatusCode.Forbidden);
        var author = await (await admin.PostAsJsonAsync($"/api/v1/plans/{planId}/approve", new { revision = 2 })).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("authors cannot approve", (string?)author["detail"], StringComparison.Ordinal);

        // The Approver rejects (saying why), the Operator submits again, the Approver approves: the run starts now.
        await (await approver.PostAsJsonAsync($"/api/v1/plans/{planId}/reject", new { revision = 2 })).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        var rejected = await (await approver.PostAsJsonAsync($"/api/v1/plans/{planId}/reject", new { revision = 2, comment = "wait for the change board" }))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("rejected", (string?)rejected["plan"]!["state"]);
        var resubmitted = await (await ops.PostAsJsonAsync($"/api/v1/plans/{planId}/submit", new { revision = 2 })).ReadJsonAsync(HttpStatusCode.OK);
        var revision = (int)resubmitted["plan"]!["revision"]!;
        Assert.Equal(3, revision);
        var approved = await (await approver.PostAsJsonAsync($"/api/v1/plans/{planId}/approve", new { revision, comment = "change board said yes" }))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("The plan is approved.", (string?)approved["message"]);

        var runs = await Wait.ForAsync(async () =>
        {
            var list = await (await ops.GetAsync($"/api/v1/runs?planId={planId}")).ReadJsonAsync(HttpStatusCode.OK);
            return (int)list["total"]! == 1 ? list : null;
        }, TimeSpan.FromSeconds(30), "the plan's run");
        var runId = (string)runs["items"]![0]!["id"]!;
        await Wait.ForAsync(async () =>
        {
            var hosts = await (await ops.GetAsync($"/api/v1/runs/{runId}/hosts?state=patching")).ReadJsonAsync(HttpStatusCode.OK);
            return (int)hosts["total"]! == 1 ? hosts : null;
        }, RunTimeout, "the host to be patching");

        // Pause, resume and cancel while the host patches: it finishes, nothing else would start.
        var paused = await (await ops.PostAsync($"/api/v1/runs/{runId}/pause", content: null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True((bool)paused["run"]!["pauseRequested"]!);
        await (await ops.PostAsync($"/api/v1/runs/{runId}/pause", content: null)).ProblemAsync(HttpStatusCode.Conflict);
        var resumed = await (await ops.PostAsync($"/api/v1/runs/{runId}/resume", content: null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False((bool)resumed["run"]!["pauseRequested"]!);
        await (await ops.PostAsJsonAsync($"/api/v1/runs/{runId}/cancel", new { reason = "" })).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        var cancelling = await (await ops.PostAsJsonAsync($"/api/v1/runs/{runId}/cancel", new { reason = "freeze announced" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True((bool)cancelling["run"]!["cancelling"]!);

        var ended = await Wait.ForAsync(async () =>
        {
            var run = await (await ops.GetAsync($"/api/v1/runs/{runId}")).ReadJsonAsync(HttpStatusCode.OK);
            return (string?)run["state"] == "cancelled" ? run : null;
        }, RunTimeout, "the run to end cancelled");
        Assert.Equal("Cancelled by plan-script-op@e2e.test: freeze announced", (string?)ended["stateReason"]);
        Assert.Equal((1, 1), ((int)ended["hosts"]!["total"]!, (int)ended["hosts"]!["succeeded"]!));
        var hostRun = (await (await ops.GetAsync($"/api/v1/runs/{runId}/hosts")).ReadJsonAsync(HttpStatusCode.OK))["items"]![0]!;
        Assert.False(string.IsNullOrEmpty((string?)hostRun["agentJobId"]));
        Assert.NotEmpty(hostRun["changes"]!.AsArray());
        await (await ops.PostAsync($"/api/v1/runs/{runId}/retry", content: null)).ProblemAsync(HttpStatusCode.Conflict);

        // The patch is undone through the agent.
        var rollback = await (await ops.PostAsync($"/api/v1/runs/{runId}/hosts/{(long)hostRun["id"]!}/rollback", content: null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.StartsWith("Rolling back", (string?)rollback["message"], StringComparison.Ordinal);
        await Wait.ForAsync(async () =>
        {
            var hosts = await (await ops.GetAsync($"/api/v1/runs/{runId}/hosts?state=rolledBack")).ReadJsonAsync(HttpStatusCode.OK);
            return (int)hosts["total"]! == 1 ? hosts : null;
        }, RunTimeout, "the host to be rolled back");

        // The audit trail names the user and the token of every step.
        await AssertAuditedAsync(admin, "plan.create", "plan-script-op@e2e.test", "api-token:plans-ops");
        await AssertAuditedAsync(admin, "plan.edit", PortalFixture.AdminEmail, "api-token:plans-admin");
        await AssertAuditedAsync(admin, "plan.approve", "plan-script-ap@e2e.test", "api-token:plans-approver");
        await AssertAuditedAsync(admin, "plan.refused", PortalFixture.AdminEmail, "api-token:plans-admin");
        await AssertAuditedAsync(admin, "run.cancel", "plan-script-op@e2e.test", "api-token:plans-ops");
        await AssertAuditedAsync(admin, "run.rollback", "plan-script-op@e2e.test", "api-token:plans-ops");

        // The host leaves the fleet; its run keeps its record.
        using (var removed = await admin.DeleteAsync($"/api/v1/hosts/{hostId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        Assert.Equal("api-plan-host", (string?)(await (await ops.GetAsync($"/api/v1/runs/{runId}/hosts")).ReadJsonAsync(HttpStatusCode.OK))["items"]![0]!["hostName"]);
    }

    [Fact]
    public async Task BadPlanAndRunRequests_GetTheRightProblem_AndChangeNothing()
    {
        await using var adminContext = await fixture.NewAdminContextAsync();
        var adminPage = await adminContext.NewPageAsync();
        using var api = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(adminPage, "plans-bad-input", "read", "write"));
        var missing = Guid.NewGuid();

        var invalid = await (await api.PostAsJsonAsync("/api/v1/plans", new { name = "api-bad-plan", scope = "namedPackages", packages = HostilePackages }))
            .ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.NotNull(invalid["errors"]!["packages"]);
        Assert.NotNull(invalid["errors"]!["targets"]);
        await (await api.PostAsync("/api/v1/plans", PortalApi.Json("""{"name":"api-bad-plan","timing":"tomorrow"}"""))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.PostAsync("/api/v1/plans", PortalApi.Json("""{"name":"api-bad-plan","batchSise":5}"""))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.PostAsJsonAsync("/api/v1/plans", new { name = "api-bad-plan", revision = 4 })).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        var unknownWindow = await (await api.PostAsJsonAsync("/api/v1/plans", new { name = "api-bad-plan", targets = new { hostIds = new[] { missing } }, windowId = missing }))
            .ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.NotNull(unknownWindow["errors"]);

        await (await api.GetAsync($"/api/v1/plans/{missing}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.PostAsJsonAsync($"/api/v1/plans/{missing}/submit", new { revision = 1 })).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.PostAsync($"/api/v1/plans/{missing}/dry-run", content: null)).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.PostAsJsonAsync($"/api/v1/plans/{missing}/cancel", new { reason = "gone" })).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.GetAsync("/api/v1/plans?state=sleeping")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.GetAsync("/api/v1/plans?sort=colour")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0, (int)(await (await api.GetAsync("/api/v1/plans?q=api-bad-plan")).ReadJsonAsync(HttpStatusCode.OK))["total"]!);

        // A group without hosts is no target; a host whose agent never enrolled is one, and its dry run says why it failed.
        var group = await (await api.PostAsJsonAsync("/api/v1/groups", new { name = "api-plans-empty" })).ReadJsonAsync(HttpStatusCode.Created);
        var empty = await (await api.PostAsJsonAsync("/api/v1/plans", new { name = "api-empty-plan", targets = new { groupIds = new[] { (string)group["id"]! } }, timing = "now" }))
            .ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("no host", (string?)empty["errors"]!["targets"]![0], StringComparison.Ordinal);
        var host = await (await api.PostAsJsonAsync("/api/v1/hosts", new { name = "api-plan-unenrolled", address = "127.0.0.146" })).ReadJsonAsync(HttpStatusCode.Created);
        var hostId = (string)host["host"]!["id"]!;
        var draft = await (await api.PostAsJsonAsync("/api/v1/plans", new { name = "api-unenrolled-plan", targets = new { hostIds = new[] { hostId } }, timing = "now" }))
            .ReadJsonAsync(HttpStatusCode.Created);
        var planId = (string)draft["id"]!;
        var dryRun = await (await api.PostAsync($"/api/v1/plans/{planId}/dry-run?wait=true", content: null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal((false, true, 1, 1), ((bool)dryRun["running"]!, (bool)dryRun["current"]!, (int)dryRun["hosts"]!, (int)dryRun["failed"]!));
        var manifest = await (await api.GetAsync($"/api/v1/plans/{planId}/manifest")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains("has not enrolled", (string?)manifest["items"]![0]!["error"], StringComparison.OrdinalIgnoreCase);
        await (await api.PostAsJsonAsync($"/api/v1/plans/{planId}/submit", new { })).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        await (await api.PostAsJsonAsync($"/api/v1/plans/{planId}/cancel", new { })).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        var cancelled = await (await api.PostAsJsonAsync($"/api/v1/plans/{planId}/cancel", new { reason = "not needed" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("cancelled", (string?)cancelled["plan"]!["state"]);
        await (await api.PostAsJsonAsync($"/api/v1/plans/{planId}/cancel", new { reason = "again" })).ProblemAsync(HttpStatusCode.Conflict);
        await (await api.PostAsync($"/api/v1/plans/{planId}/dry-run", content: null)).ProblemAsync(HttpStatusCode.Conflict);
        using (var removed = await api.DeleteAsync($"/api/v1/hosts/{hostId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        await (await api.GetAsync($"/api/v1/runs/{missing}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.GetAsync($"/api/v1/runs/{missing}/hosts")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.PostAsync($"/api/v1/runs/{missing}/pause", content: null)).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.PostAsJsonAsync($"/api/v1/runs/{missing}/cancel", new { reason = "x" })).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.PostAsync($"/api/v1/runs/{missing}/hosts/1/rollback", content: null)).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.GetAsync("/api/v1/runs?state=done")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.GetAsync("/api/v1/runs?pageSize=0")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.GetAsync("/api/v1/runs?sort=planName&desc=true")).ReadJsonAsync(HttpStatusCode.OK);
    }

    private static async Task AssertAuditedAsync(HttpClient api, string action, string actor, string via)
    {
        var audit = await (await api.GetAsync($"/api/v1/audit?action={action}&pageSize=50")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(audit["items"]!.AsArray().Any(e => (string?)e!["actor"] == actor && (string?)e["via"] == via),
            $"no {action} by {actor} via {via} in {audit.ToJsonString()}");
    }
}
