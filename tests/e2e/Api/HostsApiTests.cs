using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Api;

/// <summary>
/// Hosts, groups, inventory, compliance and the audit trail through the REST API of the real portal, with a real
/// agent (apt backend, this machine's dpkg database) enrolled from the token the API handed out.
/// </summary>
[Collection(PortalTests.Name)]
public sealed class HostsApiTests(PortalFixture fixture) : IAsyncLifetime
{
    private static readonly IPAddress AgentAddress = IPAddress.Parse("127.0.0.140");
    private static readonly string[] FirstTags = ["api"];
    private static readonly string[] EditedTags = ["api", "web"];
    private readonly TestPki _unused = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("patchportal-api-").FullName;
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
    public async Task Script_AddsEnrolsInspectsChangesAndRemovesAHost_AndTheAuditNamesItsToken()
    {
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        using var api = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(page, "hosts-script", "read", "write"));

        var group = await (await api.PostAsJsonAsync("/api/v1/groups", new { name = "api-web", environment = "staging" })).ReadJsonAsync(HttpStatusCode.Created);
        var groupId = (string)group["id"]!;
        Assert.Equal(1, (int)group["requiredApprovals"]!);

        var port = Repository.FreePort(AgentAddress);
        using var added = await api.PostAsJsonAsync("/api/v1/hosts", new { name = "api-host", address = AgentAddress.ToString(), agentPort = port, groupIds = new[] { groupId }, tags = FirstTags });
        var created = await added.ReadJsonAsync(HttpStatusCode.Created);
        var hostId = (string)created["host"]!["id"]!;
        Assert.Equal($"/api/v1/hosts/{hostId}", added.Headers.Location?.OriginalString);
        Assert.Equal("pendingEnrolment", (string?)created["host"]!["health"]);
        var command = (string)created["enrollment"]!["command"]!;
        _agent = await AgentEnrollment.EnrolAndStartAsync(_directory, "api-host", AgentAddress, command, _unused, backend: "apt", port: port);

        using (var refresh = await api.PostAsync($"/api/v1/hosts/{hostId}/refresh", content: null))
        {
            Assert.Equal(HttpStatusCode.Accepted, refresh.StatusCode);
        }

        var host = await Wait.ForAsync(async () =>
        {
            var detail = await (await api.GetAsync($"/api/v1/hosts/{hostId}")).ReadJsonAsync(HttpStatusCode.OK);
            return (string?)detail["health"] == "healthy" && detail["inventoryRefreshedAt"] is not null ? detail : null;
        }, TimeSpan.FromSeconds(90), "the API host to become healthy with an inventory");
        Assert.Equal("apt", (string?)host["packageFamily"]);

        var (installed, known) = await DpkgCountsAsync();
        var packages = await (await api.GetAsync($"/api/v1/hosts/{hostId}/packages?pageSize=5&page=2")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.InRange((int)packages["total"]!, installed, known);
        Assert.Equal(5, packages["items"]!.AsArray().Count);
        Assert.Equal(2, (int)packages["page"]!);
        var dpkg = await (await api.GetAsync($"/api/v1/hosts/{hostId}/packages?q=dpkg")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(dpkg["items"]!.AsArray(), p => (string?)p!["name"] == "dpkg");
        await (await api.GetAsync($"/api/v1/hosts/{hostId}/updates")).ReadJsonAsync(HttpStatusCode.OK);

        var filtered = await (await api.GetAsync("/api/v1/hosts?group=api-web&tag=api&health=Healthy&sort=name")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, (int)filtered["total"]!);
        Assert.Equal("api-host", (string?)filtered["items"]![0]!["name"]);
        var none = await (await api.GetAsync("/api/v1/hosts?group=api-web&health=unreachable")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, (int)none["total"]!);

        var compliance = await (await api.GetAsync("/api/v1/compliance")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True((int)compliance["fleet"]!["hosts"]! >= 1);
        var web = compliance["groups"]!.AsArray().Single(g => (string?)g!["group"] == "api-web")!;
        Assert.Equal(1, (int)web["hosts"]!);

        var edited = await (await api.PutAsJsonAsync($"/api/v1/hosts/{hostId}", new { name = "api-host", address = AgentAddress.ToString(), agentPort = port, groupIds = new[] { groupId }, tags = EditedTags }))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["api", "web"], edited["tags"]!.AsArray().Select(t => (string)t!).Order().ToArray());
        Assert.Contains("web", (await (await api.GetAsync("/api/v1/tags")).ReadJsonAsync(HttpStatusCode.OK)).AsArray().Select(t => (string?)t));

        var audit = await (await api.GetAsync("/api/v1/audit?action=host.edit&pageSize=5")).ReadJsonAsync(HttpStatusCode.OK);
        var entry = audit["items"]!.AsArray().First(e => (string?)e!["target"] == "api-host")!;
        Assert.Equal(PortalFixture.AdminEmail, (string?)entry["actor"]);
        Assert.Equal("api-token:hosts-script", (string?)entry["via"]);
        Assert.False(string.IsNullOrEmpty((string?)entry["requestId"]));

        using (var removed = await api.DeleteAsync($"/api/v1/hosts/{hostId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        await (await api.GetAsync($"/api/v1/hosts/{hostId}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.DeleteAsync($"/api/v1/hosts/{hostId}")).ProblemAsync(HttpStatusCode.NotFound);
        using (var deleted = await api.DeleteAsync($"/api/v1/groups/{groupId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
    }

    [Fact]
    public async Task BadRequests_GetTheRightProblem_AndChangeNothing()
    {
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        using var api = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(page, "hosts-bad-input", "read", "write"));
        var first = await (await api.PostAsJsonAsync("/api/v1/hosts", new { name = "api-bad-1", address = "127.0.0.145" })).ReadJsonAsync(HttpStatusCode.Created);
        var id = (string)first["host"]!["id"]!;

        var malformed = await (await api.PostAsync("/api/v1/hosts", PortalApi.Json("{\"name\": \"api-bad-2\", "))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("JSON", (string?)malformed["detail"], StringComparison.Ordinal);
        await (await api.PostAsync("/api/v1/hosts", PortalApi.Json("{\"name\": \"api-bad-2\", \"address\": \"127.0.0.146\", \"agentPort\": \"x\"}"))).ProblemAsync(HttpStatusCode.BadRequest);
        var unknown = await (await api.PostAsync("/api/v1/hosts", PortalApi.Json("{\"name\": \"api-bad-2\", \"address\": \"127.0.0.146\", \"adress\": \"typo\"}"))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("adress", (string?)unknown["detail"], StringComparison.Ordinal);
        await (await api.PostAsync("/api/v1/hosts", PortalApi.Json("{\"name\": \"api-bad-2\", \"name\": \"api-bad-3\", \"address\": \"127.0.0.146\"}"))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.PostAsync("/api/v1/hosts", PortalApi.Json(""))).ProblemAsync(HttpStatusCode.BadRequest);

        var invalid = await (await api.PostAsJsonAsync("/api/v1/hosts", new { name = "api bad; rm -rf /", address = "not an address!" })).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.NotNull(invalid["errors"]!["name"]);
        Assert.NotNull(invalid["errors"]!["address"]);
        var duplicate = await (await api.PostAsJsonAsync("/api/v1/hosts", new { name = "API-BAD-1", address = "127.0.0.147" })).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("already exists", (string?)duplicate["detail"], StringComparison.Ordinal);
        await (await api.PostAsJsonAsync("/api/v1/hosts", new { name = "api-bad-2", address = "127.0.0.146", groupIds = new[] { Guid.NewGuid() } })).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        await (await api.PutAsJsonAsync($"/api/v1/hosts/{Guid.NewGuid()}", new { name = "api-bad-2", address = "127.0.0.146" })).ProblemAsync(HttpStatusCode.NotFound);
        var huge = new string('x', 300 * 1024);
        await (await api.PostAsync("/api/v1/hosts", PortalApi.Json($"{{\"name\": \"{huge}\"}}"))).ProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        await (await api.GetAsync("/api/v1/hosts?page=0")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.GetAsync("/api/v1/hosts?pageSize=501")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.GetAsync("/api/v1/hosts?health=bogus")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.GetAsync("/api/v1/hosts?sort=password")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.GetAsync("/api/v1/hosts?page=abc")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.GetAsync("/api/v1/hosts/not-a-guid")).ProblemAsync(HttpStatusCode.NotFound);

        var hosts = await (await api.GetAsync("/api/v1/hosts?q=api-bad")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, (int)hosts["total"]!);
        using var removed = await api.DeleteAsync($"/api/v1/hosts/{id}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheApi_AndTheReferencePageRenders()
    {
        using var anonymous = PortalApi.Client(fixture, token: null);
        var document = await (await anonymous.GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);
        var paths = document["paths"]!.AsObject();
        foreach (var path in new[] { "/api/v1/hosts", "/api/v1/hosts/{id}", "/api/v1/groups", "/api/v1/audit", "/api/v1/compliance", "/api/v1/me" })
        {
            Assert.True(paths.ContainsKey(path), $"{path} is missing from the OpenAPI document");
        }

        Assert.False(paths.ContainsKey("/api/v1/enroll"), "the agents' enrolment endpoint is not part of the scripting API");
        Assert.Equal("bearer", (string?)document["components"]!["securitySchemes"]!["apiToken"]!["scheme"]);

        await using var context = await fixture.NewAnonymousContextAsync();
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        await TestStep.RunAsync(page, "api-docs", async () =>
        {
            await page.GotoAsync("/api/docs");
            await Microsoft.Playwright.Assertions.Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Heading, new() { Name = "PatchPortal API" })).ToBeVisibleAsync(new() { Timeout = 20_000 });
            await Microsoft.Playwright.Assertions.Expect(page.GetByText("The user and scopes this token acts with").First).ToBeVisibleAsync();
        });
        Assert.DoesNotContain(errors, e => e.Contains("Content Security Policy", StringComparison.Ordinal));
    }

    /// <summary>What dpkg itself says: packages fully installed ("ii"), and every package it knows of.</summary>
    private static async Task<(int Installed, int Known)> DpkgCountsAsync()
    {
        var start = new ProcessStartInfo("dpkg-query") { RedirectStandardOutput = true };
        foreach (var argument in new[] { "-W", "-f", "${db:Status-Abbrev}\n" })
        {
            start.ArgumentList.Add(argument);
        }

        using var dpkg = Process.Start(start)!;
        var output = await dpkg.StandardOutput.ReadToEndAsync();
        await dpkg.WaitForExitAsync();
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (lines.Count(l => l.StartsWith("ii", StringComparison.Ordinal)), lines.Length);
    }
}
