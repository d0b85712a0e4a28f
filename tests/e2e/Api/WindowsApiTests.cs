using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Api;

/// <summary>Maintenance windows (with their occurrences) and blackouts through the REST API of the real portal.</summary>
[Collection(PortalTests.Name)]
public sealed class WindowsApiTests(PortalFixture fixture)
{
    [Fact]
    public async Task Script_CreatesListsExpandsEditsAndDeletesWindowsAndBlackouts_AndTheAuditNamesItsToken()
    {
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        using var api = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(page, "windows-script", "read", "write"));
        var group = await (await api.PostAsJsonAsync("/api/v1/groups", new { name = "api-windows", environment = "staging" })).ReadJsonAsync(HttpStatusCode.Created);
        var groupId = (string)group["id"]!;
        var start = DateTime.UtcNow.Date.AddDays(2).AddHours(2).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/windows")
        {
            Content = JsonContent.Create(new
            {
                name = "api-saturday",
                timeZoneId = "Europe/Berlin",
                startLocal = start,
                durationMinutes = 120,
                cutoffMinutes = 30,
                recurrenceRule = "FREQ=WEEKLY;BYDAY=SA",
                targets = new { groupIds = new[] { groupId } },
            }),
        };
        request.Headers.Add("X-Request-Id", "e2e-window-create.1");

        using var createdResponse = await api.SendAsync(request);
        var created = await createdResponse.ReadJsonAsync(HttpStatusCode.Created);
        var windowId = (string)created["id"]!;
        Assert.Equal($"/api/v1/windows/{windowId}", createdResponse.Headers.Location?.OriginalString);
        Assert.Equal("FREQ=WEEKLY;BYDAY=SA", (string?)created["input"]!["recurrenceRule"]);

        var listed = await (await api.GetAsync("/api/v1/windows?q=api-saturday&sort=name")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, (int)listed["total"]!);
        Assert.NotNull(listed["items"]![0]!["next"]);

        var from = DateTimeOffset.UtcNow;
        var occurrences = (await (await api.GetAsync($"/api/v1/windows/{windowId}/occurrences?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(from.AddDays(29).ToString("O"))}"))
            .ReadJsonAsync(HttpStatusCode.OK)).AsArray();
        Assert.InRange(occurrences.Count, 3, 5);
        Assert.All(occurrences, o =>
        {
            var begins = DateTimeOffset.Parse((string)o!["start"]!, CultureInfo.InvariantCulture);
            Assert.Equal(DayOfWeek.Saturday, TimeZoneInfo.ConvertTime(begins, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).DayOfWeek);
            Assert.Equal(TimeSpan.FromMinutes(120), DateTimeOffset.Parse((string)o["end"]!, CultureInfo.InvariantCulture) - begins);
            Assert.Equal("Europe/Berlin", (string?)o["timeZoneId"]);
        });

        var edited = await (await api.PutAsJsonAsync($"/api/v1/windows/{windowId}", new
        {
            name = "api-saturday",
            timeZoneId = "Europe/Berlin",
            startLocal = start,
            durationMinutes = 90,
            cutoffMinutes = 30,
            recurrenceRule = "FREQ=WEEKLY;BYDAY=SA",
            targets = new { groupIds = new[] { groupId } },
        })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(90, (int)edited["input"]!["durationMinutes"]!);

        var blackout = await (await api.PostAsJsonAsync("/api/v1/blackouts", new
        {
            name = "api-freeze",
            reason = "quarter end",
            startsAt = from.AddDays(1),
            endsAt = from.AddDays(2),
            appliesToAll = true,
        })).ReadJsonAsync(HttpStatusCode.Created);
        var blackoutId = (string)blackout["id"]!;
        var changed = await (await api.PutAsJsonAsync($"/api/v1/blackouts/{blackoutId}", new
        {
            name = "api-freeze",
            reason = "quarter end, extended",
            startsAt = from.AddDays(1),
            endsAt = from.AddDays(3),
            appliesToAll = true,
        })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("quarter end, extended", (string?)changed["input"]!["reason"]);
        var blackouts = await (await api.GetAsync("/api/v1/blackouts?q=api-freeze&sort=startsAt")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, (int)blackouts["total"]!);

        using (var deleted = await api.DeleteAsync($"/api/v1/blackouts/{blackoutId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var deleted = await api.DeleteAsync($"/api/v1/windows/{windowId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await (await api.GetAsync($"/api/v1/windows/{windowId}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.GetAsync($"/api/v1/blackouts/{blackoutId}")).ProblemAsync(HttpStatusCode.NotFound);
        var audit = await (await api.GetAsync("/api/v1/audit?action=window.create")).ReadJsonAsync(HttpStatusCode.OK);
        var entry = audit["items"]!.AsArray().Single(e => (string?)e!["target"] == "api-saturday");
        Assert.Equal("api-token:windows-script", (string?)entry!["via"]);
        Assert.Equal("e2e-window-create.1", (string?)entry["requestId"]);
        var blackoutAudit = await (await api.GetAsync("/api/v1/audit?action=blackout.delete")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(blackoutAudit["items"]!.AsArray(), e => (string?)e!["target"] == "api-freeze" && (string?)e["via"] == "api-token:windows-script");
    }

    [Fact]
    public async Task BadRequests_GetTheRightProblem_AndChangeNothing()
    {
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        using var api = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(page, "windows-bad-input", "read", "write"));
        using var readOnly = PortalApi.Client(fixture, await PortalApi.CreateTokenAsync(page, "windows-read-only", "read"));
        using var anonymous = PortalApi.Client(fixture, null);
        var start = DateTime.UtcNow.Date.AddDays(3).AddHours(1).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
        object Window(string name, int duration = 60, int cutoff = 0, string zone = "UTC", bool all = true) => new
        {
            name,
            timeZoneId = zone,
            startLocal = start,
            durationMinutes = duration,
            cutoffMinutes = cutoff,
            targets = new { groupIds = all ? new[] { Guid.NewGuid() } : [] },
        };

        await (await anonymous.GetAsync("/api/v1/windows")).ProblemAsync(HttpStatusCode.Unauthorized);
        await (await readOnly.PostAsJsonAsync("/api/v1/windows", Window("api-bad-never"))).ProblemAsync(HttpStatusCode.Forbidden);
        await (await readOnly.PostAsJsonAsync("/api/v1/blackouts", new { name = "api-bad-never" })).ProblemAsync(HttpStatusCode.Forbidden);
        await (await api.PostAsync("/api/v1/windows", PortalApi.Json("{\"name\": \"api-bad\", "))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.PostAsync("/api/v1/windows", PortalApi.Json("{\"name\": \"api-bad\", \"durationMinutes\": \"long\"}"))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.GetAsync("/api/v1/windows?sort=secret")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.GetAsync("/api/v1/blackouts?pageSize=0")).ProblemAsync(HttpStatusCode.BadRequest);

        var invalid = await (await api.PostAsJsonAsync("/api/v1/windows", Window("api-bad", duration: 60, cutoff: 60, zone: "Mars/Olympus", all: false))).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        var errors = invalid["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("timeZoneId"), invalid.ToJsonString());
        Assert.True(errors.ContainsKey("targets"), invalid.ToJsonString());
        var gone = await (await api.PostAsJsonAsync("/api/v1/windows", Window("api-bad"))).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("no longer exists", (string?)gone["errors"]!["targets"]![0], StringComparison.Ordinal);
        var endBeforeStart = await (await api.PostAsJsonAsync("/api/v1/blackouts", new
        {
            name = "api-bad-blackout",
            startsAt = DateTimeOffset.UtcNow.AddDays(2),
            endsAt = DateTimeOffset.UtcNow.AddDays(1),
            appliesToAll = true,
        })).ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.True(endBeforeStart["errors"]!.AsObject().ContainsKey("endsAt"), endBeforeStart.ToJsonString());

        var group = await (await api.PostAsJsonAsync("/api/v1/groups", new { name = "api-windows-bad" })).ReadJsonAsync(HttpStatusCode.Created);
        var first = await (await api.PostAsJsonAsync("/api/v1/windows", new
        {
            name = "api-bad-first",
            timeZoneId = "UTC",
            startLocal = start,
            durationMinutes = 60,
            targets = new { groupIds = new[] { (string)group["id"]! } },
        })).ReadJsonAsync(HttpStatusCode.Created);
        var windowId = (string)first["id"]!;
        var duplicate = await (await api.PostAsJsonAsync("/api/v1/windows", new
        {
            name = "API-BAD-FIRST",
            timeZoneId = "UTC",
            startLocal = start,
            durationMinutes = 60,
            targets = new { groupIds = new[] { (string)group["id"]! } },
        })).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("already exists", (string?)duplicate["detail"], StringComparison.Ordinal);
        await (await api.GetAsync($"/api/v1/windows/{windowId}/occurrences?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await api.GetAsync($"/api/v1/windows/{windowId}/occurrences?from=2030-01-01T00:00:00Z&to=2032-01-01T00:00:00Z")).ProblemAsync(HttpStatusCode.BadRequest);

        var unknown = Guid.NewGuid();
        await (await api.GetAsync($"/api/v1/windows/{unknown}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.GetAsync($"/api/v1/windows/{unknown}/occurrences")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.PutAsJsonAsync($"/api/v1/windows/{unknown}", Window("api-bad-x"))).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.DeleteAsync($"/api/v1/windows/{unknown}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.GetAsync($"/api/v1/blackouts/{unknown}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.DeleteAsync($"/api/v1/blackouts/{unknown}")).ProblemAsync(HttpStatusCode.NotFound);

        var windows = await (await api.GetAsync("/api/v1/windows?q=api-bad")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, (int)windows["total"]!);
        var blackouts = await (await api.GetAsync("/api/v1/blackouts?q=api-bad")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, (int)blackouts["total"]!);
    }
}
