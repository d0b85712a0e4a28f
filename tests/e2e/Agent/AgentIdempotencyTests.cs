using System.Net;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Agent;

/// <summary>
/// The agent's Idempotency-Key (**ext**) on the requests that start a job, over real mTLS to a real agent process
/// (simulated backend) on 127.0.0.62: a repeated request gets the first one's job, also after the agent restarted; the
/// same key for another operation and a malformed key are refused. This is what lets a portal node that took over a
/// run re-send an apply whose first copy may still be on its way, without the host being patched twice.
/// </summary>
public sealed class AgentIdempotencyTests : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private AgentProcess _agent = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _agent = await AgentProcess.StartAsync(_pki, "127.0.0.62");
        _client = _agent.CreateClient(_pki.ScriptClient);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _agent.DisposeAsync();
        _pki.Dispose();
    }

    private Task<AgentResponse> PostAsync(string path, string json, string? key) =>
        _client.SendEnvelopeAsync(HttpMethod.Post, path, json, r =>
        {
            if (key is not null)
            {
                r.Headers.TryAddWithoutValidation("Idempotency-Key", key);
            }
        });

    private async Task<int> PatchJobCountAsync()
    {
        var jobs = await _client.GetEnvelopeAsync("api/v1/jobs?operation=patch_apply&limit=100");
        return jobs.Data.GetProperty("total").GetInt32();
    }

    [Fact]
    public async Task Apply_StartsOneJob_WhenTheSameKeyIsSentTwice_EvenAfterTheFirstRanAndTheAgentRestarted()
    {
        const string key = "patchportal-run-0f3a-host-7-attempt-1";
        var first = await PostAsync("api/v1/patches/apply", "{}", key);
        Assert.True(first.Status == HttpStatusCode.Accepted, first.ToString());
        var jobId = first.Data.GetProperty("job_id").GetString()!;
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));

        var again = await PostAsync("api/v1/patches/apply", "{}", key);

        Assert.True(again.Status == HttpStatusCode.Accepted, again.ToString());
        Assert.Equal(jobId, again.Data.GetProperty("job_id").GetString());
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, await PatchJobCountAsync());

        // The job ran (nothing is pending any more, which would make a fresh apply of named packages a 404), and the
        // agent restarted: the key is kept with the job's record.
        var finished = await _client.WaitForJobAsync(jobId);
        Assert.Equal("completed", finished.GetProperty("status").GetString());
        await _agent.RestartAsync();

        var afterRestart = await PostAsync("api/v1/patches/apply", "{}", key);

        Assert.True(afterRestart.Status == HttpStatusCode.Accepted, afterRestart.ToString());
        Assert.Equal(jobId, afterRestart.Data.GetProperty("job_id").GetString());
        Assert.Equal("completed", afterRestart.Data.GetProperty("status").GetString());
        Assert.Equal(1, await PatchJobCountAsync());

        var fresh = await PostAsync("api/v1/patches/apply", "{}", "patchportal-run-0f3a-host-7-attempt-2");
        Assert.NotEqual(jobId, fresh.Data.GetProperty("job_id").GetString());
        var unkeyed = await PostAsync("api/v1/patches/apply", "{}", null);
        Assert.True(unkeyed.Status == HttpStatusCode.Accepted, unkeyed.ToString());
        Assert.Equal(3, await PatchJobCountAsync());
    }

    [Fact]
    public async Task ConcurrentRequests_WithOneKey_StartOneJob()
    {
        const string key = "install-tree-once";
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostAsync("api/v1/packages", """{"packages":[{"name":"tree"}]}""", key)));

        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.Accepted, a.ToString()));
        Assert.Single(answers.Select(a => a.Data.GetProperty("job_id").GetString()).Distinct());
        var installs = await _client.GetEnvelopeAsync("api/v1/jobs?operation=install&limit=100");
        Assert.Equal(1, installs.Data.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Key_IsRefused_WhenItStartedAnotherOperation_OrIsMalformed()
    {
        var install = await PostAsync("api/v1/packages", """{"packages":[{"name":"hello"}]}""", "one-key");
        Assert.Equal(HttpStatusCode.Accepted, install.Status);

        var reused = await PostAsync("api/v1/patches/apply", "{}", "one-key");

        Assert.Equal(HttpStatusCode.Conflict, reused.Status);
        Assert.Equal("JOB_CONFLICT", reused.ErrorCode);
        Assert.Equal(install.Data.GetProperty("job_id").GetString(), reused.Error.GetProperty("details").GetProperty("job_id").GetString());

        foreach (var malformed in new[] { "has spaces", "semi;colon", new string('k', 129), "" })
        {
            var refused = await PostAsync("api/v1/patches/apply", "{}", malformed);
            Assert.True(refused.Status == HttpStatusCode.BadRequest, $"'{malformed}': {refused}");
            Assert.Equal("INVALID_REQUEST", refused.ErrorCode);
            Assert.Equal("Idempotency-Key", refused.Error.GetProperty("details").GetProperty("field").GetString());
        }

        Assert.Equal(0, await PatchJobCountAsync());
    }
}
