using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Components;
using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Api;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Plans;

namespace PatchPortal.Tests.E2E.Security;

/// <summary>
/// The authorization matrix: every page, every REST API operation and the portal's other HTTP endpoints, visited by
/// an anonymous client and by a user of each role, against the tables below (what each one needs). The tables must
/// name exactly what the portal has: a page found by reflection or an operation in the OpenAPI document that the
/// table lacks fails the test, so a new endpoint cannot arrive without a decision on who may use it.
/// The portal has no SignalR hub of its own: the Blazor circuit (<c>/_blazor</c>) renders pages, and each page
/// authorizes through the router, which the page rows cover.
/// </summary>
[Collection(PortalTests.Name)]
public sealed class AuthorizationMatrixTests(PortalFixture fixture)
{
    public enum Who
    {
        Anonymous,
        Viewer,
        Operator,
        Approver,
        Admin,
    }

    public enum Need
    {
        Anyone,
        SignedIn,
        View,
        Operate,
        Approve,
        Administer,
    }

    /// <summary>Every routable page (template → what it needs), as its <c>[Authorize]</c> attribute should say.</summary>
    private static readonly Dictionary<string, Need> Pages = new(StringComparer.Ordinal)
    {
        ["/"] = Need.View,
        ["/account/login"] = Need.Anyone,
        ["/account/denied"] = Need.SignedIn,
        ["/account/tokens"] = Need.View,
        ["/audit"] = Need.View,
        ["/calendar"] = Need.View,
        ["/groups"] = Need.View,
        ["/hosts"] = Need.View,
        ["/hosts/{Id:guid}"] = Need.View,
        ["/plans"] = Need.View,
        ["/plans/new"] = Need.Operate,
        ["/plans/{Id:guid}"] = Need.View,
        ["/plans/{Id:guid}/edit"] = Need.Operate,
        ["/runs"] = Need.View,
        ["/runs/{Id:guid}"] = Need.View,
        ["/settings/certificates"] = Need.Administer,
        ["/settings/users"] = Need.Administer,
        ["/windows"] = Need.View,
        ["/windows/new"] = Need.Operate,
        ["/windows/{Id:guid}"] = Need.Operate,
    };

    /// <summary>Every operation of the REST API's OpenAPI document (method and path → what its token's user needs).</summary>
    private static readonly Dictionary<string, Need> Api = new(StringComparer.Ordinal)
    {
        ["GET /api/v1/me"] = Need.View,
        ["GET /api/v1/tokens"] = Need.View,
        ["DELETE /api/v1/tokens/{id}"] = Need.View,
        ["GET /api/v1/hosts"] = Need.View,
        ["GET /api/v1/hosts/{id}"] = Need.View,
        ["GET /api/v1/hosts/{id}/packages"] = Need.View,
        ["GET /api/v1/hosts/{id}/updates"] = Need.View,
        ["POST /api/v1/hosts"] = Need.Operate,
        ["PUT /api/v1/hosts/{id}"] = Need.Operate,
        ["DELETE /api/v1/hosts/{id}"] = Need.Operate,
        ["POST /api/v1/hosts/{id}/refresh"] = Need.Operate,
        ["POST /api/v1/hosts/{id}/enrollment-token"] = Need.Operate,
        ["GET /api/v1/tags"] = Need.View,
        ["GET /api/v1/groups"] = Need.View,
        ["GET /api/v1/groups/{id}"] = Need.View,
        ["POST /api/v1/groups"] = Need.Operate,
        ["PUT /api/v1/groups/{id}"] = Need.Operate,
        ["DELETE /api/v1/groups/{id}"] = Need.Operate,
        ["GET /api/v1/windows"] = Need.View,
        ["GET /api/v1/windows/{id}"] = Need.View,
        ["GET /api/v1/windows/{id}/occurrences"] = Need.View,
        ["POST /api/v1/windows"] = Need.Operate,
        ["PUT /api/v1/windows/{id}"] = Need.Operate,
        ["DELETE /api/v1/windows/{id}"] = Need.Operate,
        ["GET /api/v1/blackouts"] = Need.View,
        ["GET /api/v1/blackouts/{id}"] = Need.View,
        ["POST /api/v1/blackouts"] = Need.Operate,
        ["PUT /api/v1/blackouts/{id}"] = Need.Operate,
        ["DELETE /api/v1/blackouts/{id}"] = Need.Operate,
        ["GET /api/v1/plans"] = Need.View,
        ["GET /api/v1/plans/{id}"] = Need.View,
        ["GET /api/v1/plans/{id}/manifest"] = Need.View,
        ["GET /api/v1/plans/{id}/dry-run"] = Need.View,
        ["POST /api/v1/plans"] = Need.Operate,
        ["PUT /api/v1/plans/{id}"] = Need.Operate,
        ["POST /api/v1/plans/{id}/dry-run"] = Need.Operate,
        ["POST /api/v1/plans/{id}/submit"] = Need.Operate,
        ["POST /api/v1/plans/{id}/approve"] = Need.Approve,
        ["POST /api/v1/plans/{id}/reject"] = Need.Approve,
        ["POST /api/v1/plans/{id}/cancel"] = Need.Operate,
        ["GET /api/v1/runs"] = Need.View,
        ["GET /api/v1/runs/{id}"] = Need.View,
        ["GET /api/v1/runs/{id}/hosts"] = Need.View,
        ["POST /api/v1/runs/{id}/pause"] = Need.Operate,
        ["POST /api/v1/runs/{id}/resume"] = Need.Operate,
        ["POST /api/v1/runs/{id}/cancel"] = Need.Operate,
        ["POST /api/v1/runs/{id}/retry"] = Need.Operate,
        ["POST /api/v1/runs/{id}/hosts/{hostRunId}/rollback"] = Need.Operate,
        ["GET /api/v1/audit"] = Need.View,
        ["GET /api/v1/compliance"] = Need.View,
    };

    /// <summary>
    /// The portal's other endpoints (Program.cs maps them: operations, enrolment and its CRL, calendar feeds, the jobs
    /// dashboard, the API's documents), each with what a caller without the right is told.
    /// </summary>
    private static readonly (string Path, Need Need)[] Others =
    [
        ("/healthz", Need.Anyone),
        ("/readyz", Need.Anyone),
        ("/metrics", Need.Anyone),
        ("/pki/crl.pem", Need.Anyone),
        ("/openapi/v1.json", Need.Anyone),
        ("/api/docs/", Need.Anyone),
        ("/hangfire", Need.Administer),
    ];

    private static readonly Who[] Everyone = Enum.GetValues<Who>();

    [Fact]
    public async Task EveryPageApiOperationAndEndpoint_AllowsExactlyTheRolesInTheTable()
    {
        await using var admin = await fixture.NewAdminContextAsync();
        var adminPage = await admin.NewPageAsync();
        var contexts = new Dictionary<Who, IBrowserContext> { [Who.Admin] = admin, [Who.Anonymous] = await fixture.NewAnonymousContextAsync() };
        var tokens = new Dictionary<Who, string> { [Who.Admin] = await PortalApi.CreateTokenAsync(adminPage, "matrix-admin", "read", "write", "approve") };
        try
        {
            foreach (var (who, scopes) in new[] { (Who.Viewer, new[] { "read" }), (Who.Operator, ["read", "write"]), (Who.Approver, ["read", "approve"]) })
            {
                var context = await PlanFleet.UserAsync(fixture, adminPage, $"matrix.{who.ToString().ToLowerInvariant()}@authz.e2e.test", who.ToString());
                contexts[who] = context;
                tokens[who] = await PortalApi.CreateTokenAsync(await context.NewPageAsync(), $"matrix-{who}", scopes);
            }

            var wrong = new List<string>();
            await CheckPagesAsync(contexts, wrong);
            await CheckApiAsync(tokens, wrong);
            await CheckOthersAsync(contexts, wrong);
            Assert.True(wrong.Count == 0, $"{wrong.Count} cells of the matrix are wrong:\n" + string.Join("\n", wrong));
        }
        finally
        {
            foreach (var (who, context) in contexts.Where(c => c.Key != Who.Admin))
            {
                await context.DisposeAsync();
            }
        }
    }

    /// <summary>Whether the table's need lets this caller in.</summary>
    public static bool Allows(Need need, Who who) => need switch
    {
        Need.Anyone => true,
        Need.SignedIn or Need.View => who != Who.Anonymous,
        Need.Operate => who is Who.Operator or Who.Admin,
        Need.Approve => who is Who.Approver or Who.Admin,
        _ => who == Who.Admin,
    };

    [Fact]
    public void PageTable_NamesEveryRoutablePage()
    {
        var routes = typeof(PatchPortal.Portal.Shell.MainLayout).Assembly.GetTypes()
            .SelectMany(t => t.GetCustomAttributes<RouteAttribute>()).Select(r => r.Template).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(routes, Pages.Keys.Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// Pages as the server renders them on the first request: allowed is 200; an anonymous visitor is sent to sign
    /// in; a signed-in user without the role is sent to (or shown) the access-denied notice.
    /// </summary>
    private static async Task CheckPagesAsync(Dictionary<Who, IBrowserContext> contexts, List<string> wrong)
    {
        foreach (var (template, need) in Pages)
        {
            var path = template.Replace("{Id:guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
            foreach (var who in Everyone)
            {
                var response = await contexts[who].APIRequest.GetAsync(path, new() { MaxRedirects = 0 });
                var location = response.Headers.GetValueOrDefault("location", "");
                var body = response.Status == 200 ? await response.TextAsync() : "";
                var outcome = response.Status switch
                {
                    200 when body.Contains("your role does not allow this page", StringComparison.Ordinal) => "denied",
                    200 => "allowed",
                    302 when location.Contains("/account/login", StringComparison.Ordinal) => "sign-in",
                    302 when location.Contains("/account/denied", StringComparison.Ordinal) => "denied",
                    _ => $"{response.Status} {location}",
                };
                var expected = Allows(need, who) ? "allowed" : who == Who.Anonymous ? "sign-in" : "denied";
                if (outcome != expected)
                {
                    wrong.Add($"page {template} as {who}: {outcome}, expected {expected}");
                }
            }
        }
    }

    /// <summary>
    /// Every API operation with each role's token (all the scopes its role may hold) and with none: allowed is any
    /// answer but 401/403 (ids are random, bodies empty, so nothing changes), denied is 403, no token is 401; never 5xx.
    /// </summary>
    private async Task CheckApiAsync(Dictionary<Who, string> tokens, List<string> wrong)
    {
        using var anonymous = PortalApi.Client(fixture, null);
        var document = await (await anonymous.GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);
        var operations = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key.TrimEnd('/')}"))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(operations, Api.Keys.Order(StringComparer.Ordinal).ToList());

        var clients = Everyone.ToDictionary(w => w, w => w == Who.Anonymous ? PortalApi.Client(fixture, null) : PortalApi.Client(fixture, tokens[w]));
        try
        {
            foreach (var (operation, need) in Api)
            {
                var space = operation.IndexOf(' ', StringComparison.Ordinal);
                var method = new HttpMethod(operation[..space]);
                var path = operation[(space + 1)..].Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
                    .Replace("{hostRunId}", "1", StringComparison.Ordinal);
                foreach (var who in Everyone)
                {
                    using var request = new HttpRequestMessage(method, path);
                    if (method == HttpMethod.Post || method == HttpMethod.Put)
                    {
                        request.Content = PortalApi.Json("{}");
                    }

                    using var response = await clients[who].SendAsync(request);
                    var status = (int)response.StatusCode;
                    var expected = who == Who.Anonymous ? "401" : Allows(need, who) ? "not 401/403" : "403";
                    var fine = status < 500 && (who == Who.Anonymous ? status == 401 : Allows(need, who) ? status is not (401 or 403) : status == 403);
                    if (!fine)
                    {
                        wrong.Add($"{operation} as {who}: {status}, expected {expected} ({await response.Content.ReadAsStringAsync()})");
                    }
                }
            }
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }
    }

    private static async Task CheckOthersAsync(Dictionary<Who, IBrowserContext> contexts, List<string> wrong)
    {
        foreach (var (path, need) in Others)
        {
            foreach (var who in Everyone)
            {
                var response = await contexts[who].APIRequest.GetAsync(path, new() { MaxRedirects = 0 });
                // Readiness may honestly say 503 (not ready); either way it answers without sign-in.
                var allowed = response.Status == 200 || (path == "/readyz" && response.Status == 503);
                var refused = who == Who.Anonymous
                    ? response.Status == 401 || (response.Status == 302 && response.Headers.GetValueOrDefault("location", "").Contains("/account/login", StringComparison.Ordinal))
                    : response.Status == 403;
                if (Allows(need, who) ? !allowed : !refused)
                {
                    wrong.Add($"{path} as {who}: {response.Status} {response.Headers.GetValueOrDefault("location", "")}");
                }
            }
        }

        // Feeds and enrolment take a secret in the request instead of a user: a wrong one gets nothing.
        var anonymous = contexts[Who.Anonymous].APIRequest;
        var feed = await anonymous.GetAsync("/calendar/feed/not-a-token/calendar.ics", new() { MaxRedirects = 0 });
        if (feed.Status != 404)
        {
            wrong.Add($"calendar feed with a wrong token: {feed.Status}, expected 404");
        }

        var enroll = await anonymous.PostAsync("/api/v1/enroll", new() { DataObject = new { token = "not-a-token" } });
        if (enroll.Status is not (400 or 401 or 403 or 404 or 422))
        {
            wrong.Add($"enrolment with a wrong token: {enroll.Status}, expected a 4xx refusal");
        }
    }
}
