using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Api;

/// <summary>
/// API tokens over the real portal: created in the UI and shown once, acting as their user narrowed to their scopes,
/// refused with a problem that says why, audited, revocable, and rate limited per token and per source address.
/// </summary>
[Collection(PortalTests.Name)]
public sealed class ApiTokenTests(PortalFixture fixture)
{
    [Fact]
    public async Task Token_ActsAsItsUserUntilRevoked_AndEveryStepIsAudited()
    {
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        var auditor = await PortalApi.CreateTokenAsync(page, "tokens-auditor", "read");
        var secret = await PortalApi.CreateTokenAsync(page, "tokens-all", "read", "write", "approve");
        Assert.NotEqual(auditor, secret);

        using var api = PortalApi.Client(fixture, secret);
        var me = await (await api.GetAsync("/api/v1/me")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(PortalFixture.AdminEmail, (string?)me["user"]);
        Assert.Equal("Admin", (string?)me["role"]);
        Assert.Equal("tokens-all", (string?)me["token"]);
        Assert.Equal(["read", "write", "approve"], me["scopes"]!.AsArray().Select(s => (string)s!).ToArray());

        await TestStep.RunAsync(page, "token-last-used", async () =>
        {
            var tokens = await ApiTokensPage.OpenAsync(page);
            await Assertions.Expect(tokens.Row("tokens-all")).ToContainTextAsync("from 127.0.0.1");
            await Assertions.Expect(tokens.Row("tokens-all")).ToContainTextAsync("read, write, approve");
            Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
            await tokens.RevokeAsync("tokens-all");
        });

        var refused = await (await api.GetAsync("/api/v1/me")).ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("revoked", (string?)refused["detail"], StringComparison.Ordinal);

        using var audit = PortalApi.Client(fixture, auditor);
        var created = await (await audit.GetAsync("/api/v1/audit?action=api-token.create&actor=admin@e2e.test")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(created["items"]!.AsArray(), e => ((string?)e!["target"])?.Contains("tokens-all", StringComparison.Ordinal) == true);
        var revoked = await (await audit.GetAsync("/api/v1/audit?action=api-token.revoke")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(revoked["items"]!.AsArray(), e => ((string?)e!["target"])?.Contains("tokens-all", StringComparison.Ordinal) == true);
        var refusals = await (await audit.GetAsync("/api/v1/audit?action=api.refused&pageSize=20")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(refusals["items"]!.AsArray(), e => (string?)e!["target"] == "GET /api/v1/me" && (bool?)e["succeeded"] == false);
    }

    [Fact]
    public async Task Script_ListsAndRevokesItsUsersTokens_ButNotAnotherUsers()
    {
        await using var admin = await fixture.NewAdminContextAsync();
        var adminPage = await admin.NewPageAsync();
        using var keeper = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(adminPage, "tokens-keeper", "read"));
        using var doomed = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(adminPage, "tokens-doomed", "read"));
        await using var viewer = await Plans.PlanFleet.UserAsync(fixture, adminPage, "token-lister@e2e.test", "Viewer");
        using var viewerApi = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(await viewer.NewPageAsync(), "tokens-viewer", "read"));

        var mine = await (await keeper.GetAsync("/api/v1/tokens?pageSize=100")).ReadJsonAsync(HttpStatusCode.OK);
        var names = mine["items"]!.AsArray().Select(t => (string?)t!["name"]).ToList();
        Assert.Contains("tokens-keeper", names);
        Assert.Contains("tokens-doomed", names);
        Assert.DoesNotContain("tokens-viewer", names);
        Assert.True((int)mine["total"]! >= 2);
        var doomedId = (string)mine["items"]!.AsArray().Single(t => (string?)t!["name"] == "tokens-doomed")!["id"]!;
        var viewers = await (await viewerApi.GetAsync("/api/v1/tokens")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("tokens-viewer", (string?)Assert.Single(viewers["items"]!.AsArray())!["name"]);
        await (await viewerApi.GetAsync("/api/v1/tokens?all=true")).ProblemAsync(HttpStatusCode.Forbidden);
        var everyone = await (await keeper.GetAsync("/api/v1/tokens?all=true&pageSize=500")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(everyone["items"]!.AsArray(), t => (string?)t!["name"] == "tokens-viewer" && (string?)t["owner"] == "token-lister@e2e.test");

        // Another user's token is not the Viewer's to revoke; its owner revokes it, once.
        await (await viewerApi.DeleteAsync($"/api/v1/tokens/{doomedId}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await doomed.GetAsync("/api/v1/me")).ReadJsonAsync(HttpStatusCode.OK);
        using (var revoked = await keeper.DeleteAsync($"/api/v1/tokens/{doomedId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        await (await doomed.GetAsync("/api/v1/me")).ProblemAsync(HttpStatusCode.Unauthorized);
        await (await keeper.DeleteAsync($"/api/v1/tokens/{doomedId}")).ProblemAsync(HttpStatusCode.Conflict);
        await (await keeper.DeleteAsync($"/api/v1/tokens/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await keeper.GetAsync("/api/v1/tokens?page=0")).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Requests_AreRefusedWithAProblemThatSaysWhy_WhenTheTokenIsMissingInvalidOrTooWeak()
    {
        using var anonymous = PortalApi.Client(fixture, token: null);
        var missing = await anonymous.GetAsync("/api/v1/hosts");
        await missing.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);

        using var forged = PortalApi.Client(fixture, "pp_" + new string('A', 43));
        var invalid = await (await forged.GetAsync("/api/v1/hosts")).ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("not valid", (string?)invalid["detail"], StringComparison.Ordinal);

        using var basic = PortalApi.Client(fixture, token: null);
        basic.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "YWRtaW46YWRtaW4=");
        var wrongScheme = await (await basic.GetAsync("/api/v1/hosts")).ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", (string?)wrongScheme["detail"], StringComparison.Ordinal);

        // A read-only token of an Admin may read but not write: the scope narrows the role.
        await using var admin = await fixture.NewAdminContextAsync();
        var adminPage = await admin.NewPageAsync();
        using var readOnly = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(adminPage, "tokens-read-only", "read"));
        await (await readOnly.GetAsync("/api/v1/hosts")).ReadJsonAsync(HttpStatusCode.OK);
        var noScope = await (await readOnly.PostAsJsonAsync("/api/v1/groups", new { name = "tokens-never-made" })).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("'write' scope", (string?)noScope["detail"], StringComparison.Ordinal);

        // A Viewer cannot even ask for the write scope, and a Viewer's token cannot write.
        await using var viewer = await Plans.PlanFleet.UserAsync(fixture, adminPage, "script-reader@e2e.test", "Viewer");
        var viewerPage = await viewer.NewPageAsync();
        var tokens = await ApiTokensPage.OpenAsync(viewerPage);
        await Assertions.Expect(tokens.Scope("write")).ToBeDisabledAsync();
        await Assertions.Expect(tokens.Scope("approve")).ToBeDisabledAsync();
        using var viewerApi = PortalApi.Client(fixture, await tokens.CreateAsync("viewer-script", "read"));
        await (await viewerApi.GetAsync("/api/v1/compliance")).ReadJsonAsync(HttpStatusCode.OK);
        var noRole = await (await viewerApi.PostAsJsonAsync("/api/v1/groups", new { name = "tokens-never-made" })).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("role (Viewer)", (string?)noRole["detail"], StringComparison.Ordinal);

        using var groups = await readOnly.GetAsync("/api/v1/groups?q=tokens-never-made");
        Assert.Equal(0, (int)(await groups.ReadJsonAsync(HttpStatusCode.OK))["total"]!);
        await (await readOnly.GetAsync("/api/v1/no-such-thing")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task RateLimits_Answer429WithRetryAfter_PerTokenAndPerSourceAddress()
    {
        await using var admin = await fixture.NewAdminContextAsync();
        var page = await admin.NewPageAsync();

        // Per token: the 601st request within a minute is refused, whatever address it comes from.
        using var busy = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(page, "tokens-busy", "read"), IPAddress.Parse("127.0.0.141"));
        var limited = await FirstRefusalAsync(busy, "/api/v1/me", 2000);
        Assert.InRange(limited.Count, 600, 700);
        Assert.True(int.Parse(limited.Response.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        await limited.Response.ProblemAsync(HttpStatusCode.TooManyRequests);
        using var other = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(page, "tokens-calm", "read"), IPAddress.Parse("127.0.0.141"));
        await (await other.GetAsync("/api/v1/me")).ReadJsonAsync(HttpStatusCode.OK);

        // Per source: anonymous requests from one address are cut off too, and another address is not.
        using var flood = PortalApi.Client(fixture, token: null, IPAddress.Parse("127.0.0.142"));
        var flooded = await FirstRefusalAsync(flood, "/api/v1/hosts", 3000);
        Assert.InRange(flooded.Count, 1200, 1400);
        await flooded.Response.ProblemAsync(HttpStatusCode.TooManyRequests);
        using var elsewhere = PortalApi.Client(fixture, token: null, IPAddress.Parse("127.0.0.143"));
        await (await elsewhere.GetAsync("/api/v1/hosts")).ProblemAsync(HttpStatusCode.Unauthorized);
    }

    private static async Task<(int Count, HttpResponseMessage Response)> FirstRefusalAsync(HttpClient client, string path, int max)
    {
        for (var i = 1; i <= max; i++)
        {
            var response = await client.GetAsync(path);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return (i, response);
            }

            response.Dispose();
        }

        Assert.Fail($"no 429 after {max} requests to {path}");
        return default;
    }
}
