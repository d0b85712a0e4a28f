using System.Net;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Agent;

/// <summary>
/// The caller's X-Request-Id on the agent: kept when well-formed, echoed, in the request's log lines, and carried onto the
/// job the request starts (its record and the lines it logs after the request ended). One agent of its own on
/// 127.0.0.60 with single-line logs, so a line and its scope can be read together.
/// </summary>
public sealed class AgentRequestIdTests : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private AgentProcess _agent = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _agent = await AgentProcess.StartAsync(_pki, "127.0.0.60", extraArgs: ["--Logging:Console:FormatterOptions:SingleLine=true"]);
        _client = _agent.CreateClient(_pki.ScriptClient);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _agent.DisposeAsync();
        _pki.Dispose();
    }

    [Fact]
    public async Task Job_CarriesTheCallersRequestId_OnItsRecordAndInItsLogLines()
    {
        const string requestId = "e2e-install.7f3a";
        var accepted = await _client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/packages", """{"packages":[{"name":"tree"}]}""",
            r => r.Headers.Add("X-Request-Id", requestId));
        var jobId = accepted.Data.GetProperty("job_id").GetString()!;
        var job = await _client.WaitForJobAsync(jobId);

        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        Assert.Equal(requestId, accepted.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal(requestId, job.GetProperty("request_id").GetString());
        await _agent.WaitForOutputAsync(l => l.Contains($"Request {requestId} from", StringComparison.Ordinal) && l.Contains("POST /api/v1/packages answered 202", StringComparison.Ordinal),
            "the request's line with its id");
        await _agent.WaitForOutputAsync(l => l.Contains($"Job {jobId} for request {requestId}", StringComparison.Ordinal) && l.Contains("finished", StringComparison.Ordinal),
            "the job's closing line with the request's id, logged after the request ended");
    }

    [Fact]
    public async Task RollbackJob_CarriesTheRollbackRequestsId()
    {
        var installed = await _client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/packages", """{"packages":[{"name":"hello"}]}""");
        var original = await _client.WaitForJobAsync(installed.Data.GetProperty("job_id").GetString()!);

        var rollback = await _client.SendEnvelopeAsync(HttpMethod.Post, $"api/v1/jobs/{original.GetProperty("job_id").GetString()}/rollback",
            configure: r => r.Headers.Add("X-Request-Id", "e2e-rollback-1"));
        var job = await _client.WaitForJobAsync(rollback.Data.GetProperty("job_id").GetString()!);

        Assert.Equal("e2e-rollback-1", job.GetProperty("request_id").GetString());
        Assert.NotEqual("e2e-rollback-1", original.GetProperty("request_id").GetString());
    }

    [Theory]
    [InlineData("has spaces in it")]
    [InlineData("semi;colon")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Response_CarriesAFreshRequestId_WhenTheCallersIsMalformed(string malformed)
    {
        var response = await _client.SendEnvelopeAsync(HttpMethod.Get, "api/v1/system/info", configure: r => r.Headers.TryAddWithoutValidation("X-Request-Id", malformed));

        var echoed = response.Headers.GetValues("X-Request-Id").Single();
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.NotEqual(malformed, echoed);
        Assert.Matches("^[0-9a-f]{32}$", echoed);
        Assert.Equal(echoed, response.Body.GetProperty("request_id").GetString());
    }
}
