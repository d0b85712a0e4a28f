using System.Net;
using System.Text.Json;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Agent;

/// <summary>The contract's endpoints, envelope and input rules, over real mTLS against the agent in simulated mode.</summary>
[Collection(AgentCollectionDefinition.Name)]
public sealed class AgentApiTests(AgentFixture fixture)
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task Health_ReportsChecksAndVersion()
    {
        var response = await Client.GetEnvelopeAsync("health");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("healthy", response.Data.GetProperty("status").GetString());
        foreach (var check in new[] { "config", "certificates", "package_manager", "job_queue" })
        {
            Assert.Equal("ok", response.Data.GetProperty("checks").GetProperty(check).GetProperty("status").GetString());
        }

        Assert.True(response.Data.TryGetProperty("certificate_expires_at", out _));
        Assert.True(Guid.TryParse(response.Body.GetProperty("request_id").GetString(), out _));
    }

    [Fact]
    public async Task Envelope_EchoesRequestId_WhenClientSendsOne()
    {
        var response = await Client.SendEnvelopeAsync(HttpMethod.Get, "api/v1/health", configure: r => r.Headers.Add("X-Request-Id", "run-42.host-7"));
        Assert.Equal("run-42.host-7", response.Body.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task Metrics_CountsRequestsAndFinishedJobs_InPrometheusFormat()
    {
        // One patch applied and rolled back again: two finished jobs, and the agent's state as it was.
        var patch = (await Client.GetEnvelopeAsync("api/v1/patches?limit=1")).Data.GetProperty("patches")[0].GetProperty("name").GetString();
        var applied = await Client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/patches/apply", $$"""{"packages":["{{patch}}"]}""");
        var job = await Client.WaitForJobAsync(applied.Data.GetProperty("job_id").GetString()!);
        var rollback = await Client.SendEnvelopeAsync(HttpMethod.Post, $"api/v1/jobs/{job.GetProperty("job_id").GetString()}/rollback");
        await Client.WaitForJobAsync(rollback.Data.GetProperty("job_id").GetString()!);

        using var response = await Client.GetAsync(new Uri("metrics", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("patchagent_jobs_finished_total{operation=\"patch_apply\",status=\"completed\"}", text, StringComparison.Ordinal);
        Assert.Contains("patchagent_job_duration_seconds_count{operation=\"rollback\",status=\"completed\"}", text, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_count{code=\"2xx\",method=\"POST\",endpoint=\"/api/v1/patches/apply\"} ", text, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_count{code=\"2xx\",method=\"POST\",endpoint=\"/api/v1/jobs/{id}/rollback\"} ", text, StringComparison.Ordinal);
        Assert.Matches("(?m)^http_requests_in_progress [1-9]", text); // this scrape itself, at least
    }

    [Fact]
    public async Task SystemInfo_DescribesThisHost()
    {
        var data = (await Client.GetEnvelopeAsync("api/v1/system/info")).Data;

        Assert.Equal(Environment.MachineName, data.GetProperty("hostname").GetString());
        Assert.Equal("simulated", data.GetProperty("package_manager").GetString());
        Assert.Equal("v1", data.GetProperty("api_version").GetString());
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), data.GetProperty("kernel").GetProperty("version").GetString());
        Assert.False(string.IsNullOrEmpty(data.GetProperty("os").GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Packages_PagesAndSorts()
    {
        var first = (await Client.GetEnvelopeAsync("api/v1/packages?limit=5&offset=0&sort=name&order=asc")).Data;
        var second = (await Client.GetEnvelopeAsync("api/v1/packages?limit=5&offset=5&sort=name&order=asc")).Data;

        var names = first.GetProperty("packages").EnumerateArray().Concat(second.GetProperty("packages").EnumerateArray()).Select(p => p.GetProperty("name").GetString()!).ToList();
        Assert.Equal(10, names.Count);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Equal(first.GetProperty("total").GetInt32(), second.GetProperty("total").GetInt32());
        Assert.True(first.GetProperty("total").GetInt32() > 10);
        Assert.Equal(5, first.GetProperty("limit").GetInt32());
    }

    [Fact]
    public async Task Packages_FiltersByGlobAndUpgradable()
    {
        var upgradable = (await Client.GetEnvelopeAsync("api/v1/packages?status=upgradable&limit=1000")).Data.GetProperty("packages").EnumerateArray().ToList();
        Assert.NotEmpty(upgradable);
        Assert.All(upgradable, p => Assert.True(p.GetProperty("upgradable").GetBoolean()));

        var name = upgradable[0].GetProperty("name").GetString()!;
        var glob = name[..Math.Min(3, name.Length)] + "*";
        var matching = (await Client.GetEnvelopeAsync($"api/v1/packages?name={glob}&limit=1000")).Data.GetProperty("packages").EnumerateArray().ToList();
        Assert.Contains(matching, p => p.GetProperty("name").GetString() == name);
        Assert.All(matching, p => Assert.StartsWith(glob.TrimEnd('*'), p.GetProperty("name").GetString(), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("api/v1/packages?limit=0", "limit")]
    [InlineData("api/v1/packages?limit=1001", "limit")]
    [InlineData("api/v1/packages?limit=abc", "limit")]
    [InlineData("api/v1/packages?offset=-1", "offset")]
    [InlineData("api/v1/packages?sort=popularity", "sort")]
    [InlineData("api/v1/packages?order=sideways", "order")]
    [InlineData("api/v1/packages?status=broken", "status")]
    [InlineData("api/v1/packages?name=%24(reboot)", "name")]
    [InlineData("api/v1/packages/-rf", "name")]
    [InlineData("api/v1/packages/hello%3Breboot", "name")]
    [InlineData("api/v1/patches?severity=urgent", "severity")]
    [InlineData("api/v1/jobs?status=exploded", "status")]
    [InlineData("api/v1/jobs?operation=format_disk", "operation")]
    [InlineData("api/v1/jobs?sort=priority", "sort")]
    [InlineData("api/v1/jobs/not-a-job", "job_id")]
    [InlineData("api/v1/system/services/-.service", "name")]
    public async Task Get_Returns400NamingTheField_WhenQueryBreaksTheRules(string path, string field)
    {
        var response = await Client.GetEnvelopeAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("INVALID_REQUEST", response.ErrorCode);
        Assert.Equal(field, response.Error.GetProperty("details").GetProperty("field").GetString());
        Assert.False(response.Success);
    }

    [Fact]
    public async Task Package_Returns404_WhenNotInstalled()
    {
        var response = await Client.GetEnvelopeAsync("api/v1/packages/surely-not-installed");
        Assert.Equal(HttpStatusCode.NotFound, response.Status);
        Assert.Equal("PKG_NOT_FOUND", response.ErrorCode);
    }

    [Fact]
    public async Task Package_ReturnsDetail_WhenInstalled()
    {
        var name = (await Client.GetEnvelopeAsync("api/v1/packages?limit=1")).Data.GetProperty("packages")[0].GetProperty("name").GetString();
        var detail = (await Client.GetEnvelopeAsync($"api/v1/packages/{name}")).Data;
        Assert.Equal(name, detail.GetProperty("name").GetString());
        Assert.True(detail.TryGetProperty("reverse_dependencies", out _));
        Assert.True(detail.TryGetProperty("files", out _));
    }

    [Theory]
    [InlineData("""{"packages":[{"name":"-rf"}]}""", "packages[0].name")]
    [InlineData("""{"packages":[{"name":"hello; reboot"}]}""", "packages[0].name")]
    [InlineData("""{"packages":[{"name":"../../etc/passwd"}]}""", "packages[0].name")]
    [InlineData("""{"packages":[{"name":"hello","version":"1.0 && id"}]}""", "packages[0].version")]
    [InlineData("""{"packages":[]}""", "packages")]
    [InlineData("""{"packages":"hello"}""", "packages")]
    [InlineData("""{"packages":[{"name":42}]}""", "packages[0].name")]
    [InlineData("""{"packages":[{"name":"hello"}],"options":{"force":"yes"}}""", "options.force")]
    [InlineData("""{"packages":[{"name":"hello"}], "packages":[{"name":"bash"}]}""", "body")]
    [InlineData("""{"packages":[{"name":"hello"}""", "body")]
    public async Task Install_Returns400NamingTheField_WhenBodyBreaksTheRules(string body, string field)
    {
        var before = await JobCountAsync();
        var response = await Client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/packages", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("INVALID_REQUEST", response.ErrorCode);
        var actual = response.Error.GetProperty("details").GetProperty("field").GetString();
        Assert.True(actual == field || (field == "body" && actual is not null), $"field was {actual}");
        Assert.Equal(before, await JobCountAsync());
    }

    [Fact]
    public async Task Install_Returns400_WhenJsonIsNestedTooDeep()
    {
        var body = "{\"packages\":[{\"name\":\"hello\"}],\"options\":" + string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40) + "}";
        var response = await Client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/packages", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("INVALID_REQUEST", response.ErrorCode);
    }

    [Fact]
    public async Task Install_Returns413_WhenBodyIsOverOneMebibyte()
    {
        var body = "{\"packages\":[{\"name\":\"hello\"}],\"padding\":\"" + new string('x', 1024 * 1024 + 10) + "\"}";

        // Expect: 100-continue lets the agent refuse before the client sends the body, as a well-behaved client would.
        var response = await Client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/packages", body, r => r.Headers.ExpectContinue = true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.Status);
        Assert.Equal("PAYLOAD_TOO_LARGE", response.ErrorCode);
    }

    [Fact]
    public async Task Install_IgnoresUnknownFields_AndRunsAJobToCompletion()
    {
        var candidate = await FirstNotInstalledCandidateAsync();
        var accepted = await Client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/packages",
            $$$"""{"packages":[{"name":"{{{candidate}}}"}],"options":{"no_recommends":true},"client_version":"0.9","extra":{"x":1}}""");

        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        Assert.Equal("install", accepted.Data.GetProperty("operation").GetString());
        Assert.Equal("pending", accepted.Data.GetProperty("status").GetString());
        var job = await Client.WaitForJobAsync(accepted.Data.GetProperty("job_id").GetString()!);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        var change = Assert.Single(job.GetProperty("changes").EnumerateArray(), c => c.GetProperty("package").GetString() == candidate);
        Assert.Equal(JsonValueKind.Null, change.TryGetProperty("before", out var b) ? b.ValueKind : JsonValueKind.Null);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetEnvelopeAsync($"api/v1/packages/{candidate}")).Status);
    }

    [Fact]
    public async Task Update_Returns404_WhenPackageIsNotInstalled()
    {
        var response = await Client.SendEnvelopeAsync(HttpMethod.Put, "api/v1/packages/surely-not-installed", "{}");
        Assert.Equal(HttpStatusCode.NotFound, response.Status);
        Assert.Equal("PKG_NOT_FOUND", response.ErrorCode);
    }

    [Fact]
    public async Task Remove_Returns400_WhenPurgeIsNotABoolean()
    {
        var response = await Client.SendEnvelopeAsync(HttpMethod.Delete, "api/v1/packages/bash?purge=maybe");
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("purge", response.Error.GetProperty("details").GetProperty("field").GetString());
    }

    [Fact]
    public async Task Patches_ListSecurityFirst_WithExtensionFields()
    {
        var patches = (await Client.GetEnvelopeAsync("api/v1/patches?limit=1000")).Data.GetProperty("patches").EnumerateArray().ToList();

        Assert.NotEmpty(patches);
        var ranks = patches.Select(p => p.GetProperty("severity").GetString() switch { "critical" => 4, "high" => 3, "medium" => 2, _ => 1 }).ToList();
        Assert.Equal(ranks.OrderDescending(), ranks);
        Assert.Contains(patches, p => p.GetProperty("security").GetBoolean());
        Assert.All(patches, p => Assert.False(string.IsNullOrEmpty(p.GetProperty("candidate_version").GetString())));
    }

    [Fact]
    public async Task Apply_ReturnsManifestWithoutJob_WhenDryRun()
    {
        var before = await JobCountAsync();
        var patches = (await Client.GetEnvelopeAsync("api/v1/patches?limit=1000")).Data.GetProperty("patches").EnumerateArray().ToList();
        var security = patches.Count(p => p.GetProperty("security").GetBoolean());

        var response = await Client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/patches/apply", """{"options":{"dry_run":true,"security_only":true}}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var changes = response.Data.GetProperty("changes").EnumerateArray().ToList();
        Assert.Equal(security, changes.Count);
        Assert.All(changes, c => Assert.False(string.IsNullOrEmpty(c.GetProperty("to").GetString())));
        Assert.Equal(before, await JobCountAsync());
    }

    [Fact]
    public async Task Apply_Returns404_WhenPatchIsUnknown()
    {
        var response = await Client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/patches/apply", """{"patches":["no-such-package@1.0"]}""");
        Assert.Equal(HttpStatusCode.NotFound, response.Status);
        Assert.Equal("PATCH_NOT_FOUND", response.ErrorCode);
    }

    [Fact]
    public async Task Apply_AcceptsDeployedBodyForm_AndRecordsBeforeAndAfterVersions()
    {
        var patch = (await Client.GetEnvelopeAsync("api/v1/patches?sort=name&limit=1000")).Data.GetProperty("patches").EnumerateArray()
            .First(p => !p.GetProperty("requires_reboot").GetBoolean());
        var name = patch.GetProperty("name").GetString()!;

        var accepted = await Client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/patches/apply", $$"""{"packages":["{{name}}"],"allow_reboot":false,"reboot_delay_seconds":0}""");

        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        Assert.Equal("patch_apply", accepted.Data.GetProperty("operation").GetString());
        Assert.Equal(1, accepted.Data.GetProperty("patches_count").GetInt32());
        Assert.False(accepted.Data.GetProperty("auto_reboot").GetBoolean());
        var job = await Client.WaitForJobAsync(accepted.Data.GetProperty("job_id").GetString()!);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        var change = Assert.Single(job.GetProperty("changes").EnumerateArray());
        Assert.Equal(patch.GetProperty("current_version").GetString(), change.GetProperty("before").GetString());
        Assert.Equal(patch.GetProperty("candidate_version").GetString(), change.GetProperty("after").GetString());
        Assert.Equal(patch.GetProperty("candidate_version").GetString(), (await Client.GetEnvelopeAsync($"api/v1/packages/{name}")).Data.GetProperty("version").GetString());

        // Rollback restores the recorded before-version; rolling back a job that is not finished or changed nothing is a conflict.
        var rollback = await Client.SendEnvelopeAsync(HttpMethod.Post, $"api/v1/jobs/{job.GetProperty("job_id").GetString()}/rollback");
        Assert.Equal(HttpStatusCode.Accepted, rollback.Status);
        Assert.Equal(job.GetProperty("job_id").GetString(), rollback.Data.GetProperty("original_job_id").GetString());
        var rolledBack = await Client.WaitForJobAsync(rollback.Data.GetProperty("job_id").GetString()!);
        Assert.Equal("completed", rolledBack.GetProperty("status").GetString());
        Assert.Equal(patch.GetProperty("current_version").GetString(), (await Client.GetEnvelopeAsync($"api/v1/packages/{name}")).Data.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Rollback_Returns409_WhenJobChangedNothing()
    {
        var installed = (await Client.GetEnvelopeAsync("api/v1/packages?status=installed&limit=1&sort=name")).Data.GetProperty("packages")[0];
        var accepted = await Client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/packages",
            $$"""{"packages":[{"name":"{{installed.GetProperty("name").GetString()}}","version":"{{installed.GetProperty("version").GetString()}}"}]}""");
        var nothing = await Client.WaitForJobAsync(accepted.Data.GetProperty("job_id").GetString()!);
        Assert.Equal("completed", nothing.GetProperty("status").GetString());
        Assert.Empty(nothing.GetProperty("changes").EnumerateArray());

        var response = await Client.SendEnvelopeAsync(HttpMethod.Post, $"api/v1/jobs/{nothing.GetProperty("job_id").GetString()}/rollback");

        Assert.Equal(HttpStatusCode.Conflict, response.Status);
        Assert.Equal("JOB_CONFLICT", response.ErrorCode);
    }

    [Fact]
    public async Task Jobs_FilterWithOldSpellings_AndReturn404ForUnknownJob()
    {
        Assert.Equal(HttpStatusCode.OK, (await Client.GetEnvelopeAsync("api/v1/jobs?status=timed_out")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetEnvelopeAsync("api/v1/jobs?status=timedout&operation=patchapply&sort=updated_at&order=asc")).Status);
        var missing = await Client.GetEnvelopeAsync($"api/v1/jobs/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("JOB_NOT_FOUND", missing.ErrorCode);
    }

    [Fact]
    public async Task Reboot_IsScheduledAndCancellable()
    {
        var accepted = await Client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/system/reboot", """{"delay_seconds":3600,"reason":"kernel update"}""");

        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        Assert.Equal("reboot", accepted.Data.GetProperty("operation").GetString());
        Assert.Equal("kernel update", accepted.Data.GetProperty("reason").GetString());
        var id = accepted.Data.GetProperty("job_id").GetString();
        var cancelled = await Client.SendEnvelopeAsync(HttpMethod.Delete, $"api/v1/jobs/{id}");
        Assert.Equal(HttpStatusCode.OK, cancelled.Status);
        Assert.Equal("pending", cancelled.Data.GetProperty("previous_status").GetString());
        Assert.Equal("cancelled", cancelled.Data.GetProperty("current_status").GetString());
    }

    [Fact]
    public async Task Reboot_Returns400_WhenDelayIsOutOfRange()
    {
        var response = await Client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/system/reboot", """{"delay_seconds":-1}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("delay_seconds", response.Error.GetProperty("details").GetProperty("field").GetString());
    }

    [Fact]
    public async Task UnservedMethod_Returns405WithAllow()
    {
        var response = await Client.SendEnvelopeAsync(HttpMethod.Patch, "api/v1/packages");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.Status);
        Assert.Contains("GET", response.ContentHeaders.Allow);
        Assert.Equal("METHOD_NOT_ALLOWED", response.ErrorCode);
    }

    [Fact]
    public async Task UnknownPath_Returns404Envelope()
    {
        var response = await Client.GetEnvelopeAsync("api/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.Status);
        Assert.False(response.Success);
    }

    [Fact]
    public async Task Service_Returns400_WhenNameStartsWithDash()
    {
        var response = await Client.GetEnvelopeAsync("api/v1/system/services/--help");
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
    }

    [Fact]
    public async Task Update_And_Remove_RunAsJobs_ForAnInstalledPackage()
    {
        var patch = (await Client.GetEnvelopeAsync("api/v1/patches?sort=name&order=desc&limit=1000")).Data.GetProperty("patches").EnumerateArray()
            .First(p => !p.GetProperty("requires_reboot").GetBoolean());
        var name = patch.GetProperty("name").GetString();

        var update = await Client.SendEnvelopeAsync(HttpMethod.Put, $"api/v1/packages/{name}", "{}");
        var updated = await Client.WaitForJobAsync(update.Data.GetProperty("job_id").GetString()!);
        var remove = await Client.SendEnvelopeAsync(HttpMethod.Delete, $"api/v1/packages/{name}?purge=true");
        var removed = await Client.WaitForJobAsync(remove.Data.GetProperty("job_id").GetString()!);

        Assert.Equal(HttpStatusCode.Accepted, update.Status);
        Assert.Equal("update", update.Data.GetProperty("operation").GetString());
        Assert.Equal("completed", updated.GetProperty("status").GetString());
        Assert.Equal(patch.GetProperty("candidate_version").GetString(), Assert.Single(updated.GetProperty("changes").EnumerateArray()).GetProperty("after").GetString());
        Assert.Equal("remove", remove.Data.GetProperty("operation").GetString());
        Assert.Equal("completed", removed.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetEnvelopeAsync($"api/v1/packages/{name}")).Status);
    }

    [Fact]
    public async Task Service_AnswersAnEnvelope_WhateverSystemdSays()
    {
        var response = await Client.GetEnvelopeAsync("api/v1/system/services/ssh.service");

        // On a host with systemd: 200 or 404; in a container without it: 503 naming the cause. Never a crash.
        Assert.Contains(response.Status, new[] { HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.ServiceUnavailable });
        Assert.Equal(response.Status == HttpStatusCode.OK, response.Success);
    }

    [Fact]
    public async Task Request_IsRefused_WhenHeadersExceed16KiB()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "health");
        request.Headers.Add("X-Padding", new string('a', 17 * 1024));
        using var response = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    private async Task<int> JobCountAsync() => (await Client.GetEnvelopeAsync("api/v1/jobs?limit=1")).Data.GetProperty("total").GetInt32();

    private async Task<string> FirstNotInstalledCandidateAsync()
    {
        // The simulated repository holds packages that are not installed; ask its dry run which one would be new.
        foreach (var name in new[] { "hello", "cowsay", "sl", "figlet", "tree", "htop", "jq", "ncdu" })
        {
            if ((await Client.GetEnvelopeAsync($"api/v1/packages/{name}")).Status == HttpStatusCode.NotFound)
            {
                return name;
            }
        }

        throw new InvalidOperationException("every candidate is installed already");
    }
}
