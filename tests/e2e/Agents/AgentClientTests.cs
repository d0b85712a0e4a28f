using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Operations;
using PatchPortal.Portal.Pki;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Agents;

/// <summary>The portal's agent client against a real agent whose certificate the portal's CA issued from the agent's CSR.</summary>
public sealed class AgentClientTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("patchportal-client-").FullName;
    private readonly TestPki _testPki = new();
    private PortalCertificateAuthority _ca = null!;
    private AgentProcess _agent = null!;
    private AgentConnections _connections = null!;
    private AgentEndpoint _endpoint = null!;
    private RevokedCertificates _revoked = null!;

    private AgentClient Client => new(_connections, NullLogger<AgentClient>.Instance);

    public async Task InitializeAsync()
    {
        _ca = new PortalCertificateAuthority(Options.Create(new PkiOptions()), new PkiDirectory(Path.Combine(_directory, "pki")), TimeProvider.System,
            NullLogger<PortalCertificateAuthority>.Instance);

        // What `patch-agent enroll` does on the host: make a key, send a CSR; the portal signs it.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=web-01", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var issued = _ca.SignAgentRequest(csr, "web-01", "127.0.0.15");
        var certPath = Write("server.pem", issued.ExportCertificatePem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var keyPath = Write("server.key", key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var caPath = Write("ca.pem", _ca.CaPem, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        _agent = await AgentProcess.StartAsync(_testPki, "127.0.0.15", settings: new JsonObject
        {
            ["Tls"] = new JsonObject { ["Certificate"] = certPath, ["Key"] = keyPath, ["ClientCa"] = caPath },
            ["AllowedClients"] = new JsonArray(_ca.ClientIdentity),
            ["Simulated"] = new JsonObject { ["JobDurationMs"] = 3000 },
        }, waitUntilReady: false);
        _revoked = new RevokedCertificates();
        _connections = new AgentConnections(new AgentCertificateValidator(_ca, _revoked), _revoked);
        _endpoint = new AgentEndpoint(Guid.NewGuid(), "web-01", "127.0.0.15", _agent.Port, PortalCertificateAuthority.Fingerprint(issued));

        await Wait.UntilAsync(async () => (await Client.GetHealthAsync(_endpoint, CancellationToken.None)).Succeeded || _agent.ExitCode is not null,
            TimeSpan.FromSeconds(60), "the agent to answer the portal's client");
    }

    public async Task DisposeAsync()
    {
        _connections.Dispose();
        await _agent.DisposeAsync();
        _ca.Dispose();
        _testPki.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Calls_Succeed_WhenAgentPresentsTheCertificateIssuedToTheHost()
    {
        var health = await Client.GetHealthAsync(_endpoint, CancellationToken.None);
        var info = await Client.GetSystemInfoAsync(_endpoint, CancellationToken.None);
        var packages = await Client.ListPackagesAsync(_endpoint, CancellationToken.None);
        var patches = await Client.ListPatchesAsync(_endpoint, CancellationToken.None);

        Assert.True(health.Succeeded, health.Failure?.Message);
        Assert.Equal("healthy", health.Value!.Status);
        Assert.Equal("simulated", info.Value!.PackageManager);
        Assert.True(packages.Value!.Count >= 600, $"{packages.Value.Count} packages");
        Assert.Equal(packages.Value.Count, packages.Value.Select(p => p.Name).Distinct().Count());
        Assert.NotEmpty(patches.Value!);
    }

    [Fact]
    public async Task Calls_FailAsCertificateRejected_WhenTheHostExpectsAnotherCertificate()
    {
        var result = await Client.GetHealthAsync(_endpoint with { CertificateFingerprint = new string('a', 64), Port = _agent.Port }, CancellationToken.None);

        Assert.Equal(AgentFailureKind.CertificateRejected, result.Failure?.Kind);
    }

    [Fact]
    public async Task Calls_FailAsCertificateRejected_WhenTheCertificateIsRevoked()
    {
        // The connection made at start-up is pooled; revoking must close it, not wait for it to age out.
        _revoked.Add(_endpoint.CertificateFingerprint!);

        var result = await Client.GetHealthAsync(_endpoint, CancellationToken.None);

        Assert.Equal(AgentFailureKind.CertificateRejected, result.Failure?.Kind);
    }

    [Fact]
    public async Task Calls_FailAsUnreachable_WhenNothingListens()
    {
        var closed = Repository.FreePort(IPAddress.Parse("127.0.0.15"));
        var result = await Client.GetHealthAsync(_endpoint with { Port = closed }, CancellationToken.None);

        Assert.Equal(AgentFailureKind.Unreachable, result.Failure?.Kind);
        Assert.True(result.Failure!.IsTransient);
    }

    [Fact]
    public async Task Calls_FailAsNotEnrolled_WhenTheHostHasNoCertificateYet()
    {
        var result = await Client.GetHealthAsync(_endpoint with { CertificateFingerprint = null }, CancellationToken.None);
        Assert.Equal(AgentFailureKind.NotEnrolled, result.Failure?.Kind);
    }

    [Fact]
    public async Task DryRunPatches_ReturnsTheManifest_WithoutChangingAnything()
    {
        var before = await Client.ListPatchesAsync(_endpoint, CancellationToken.None);

        var manifest = await Client.DryRunPatchesAsync(_endpoint, PatchSelection.All, CancellationToken.None);

        Assert.True(manifest.Succeeded, manifest.Failure?.Message);
        Assert.Equal(before.Value!.Count, manifest.Value!.Changes.Count);
        Assert.All(manifest.Value.Changes, c => Assert.NotEqual(c.From, c.To));
        Assert.Equal(before.Value.Count, (await Client.ListPatchesAsync(_endpoint, CancellationToken.None)).Value!.Count);
    }

    [Fact]
    public async Task ApplyPatches_SendsTheCurrentRequestId_WhichTheAgentKeepsOnTheJob()
    {
        AgentCallResult<JobAccepted> accepted;
        using (RequestContext.Begin(NullLogger.Instance, "e2e-approval.42"))
        {
            accepted = await Client.ApplyPatchesAsync(_endpoint, PatchSelection.All, null, CancellationToken.None);
        }

        var job = await Client.GetJobAsync(_endpoint, accepted.Value!.JobId, CancellationToken.None);

        Assert.Equal("e2e-approval.42", job.Value!.RequestId);
        await _agent.WaitForOutputAsync(l => l.Contains("Request e2e-approval.42 from", StringComparison.Ordinal), "the agent's log line with the portal's request id");
    }

    [Fact]
    public async Task FollowJob_StreamsStatusThenCompletes_WhenThePatchJobFinishes()
    {
        var accepted = await Client.ApplyPatchesAsync(_endpoint, PatchSelection.All, null, CancellationToken.None);
        Assert.True(accepted.Succeeded, accepted.Failure?.Message);

        var events = await FollowAsync(accepted.Value!.JobId);

        Assert.Contains(events, e => e is AgentJobStatusChanged { Status.Status: "running" });
        var completed = Assert.IsType<AgentJobCompleted>(events[^1]);
        Assert.Equal("completed", completed.Detail.Status);
        Assert.NotEmpty(completed.Detail.Changes);
        Assert.Empty((await Client.ListPatchesAsync(_endpoint, CancellationToken.None)).Value!);
    }

    [Fact]
    public async Task FollowJob_CompletesAtOnce_WhenTheJobFinishedBeforeFollowing()
    {
        var accepted = await Client.ApplyPatchesAsync(_endpoint, PatchSelection.All, null, CancellationToken.None);
        var jobId = accepted.Value!.JobId;
        await Wait.UntilAsync(async () => (await Client.GetJobAsync(_endpoint, jobId, CancellationToken.None)).Value?.Status == "completed",
            TimeSpan.FromSeconds(60), "the job to finish");

        var events = await FollowAsync(jobId);

        var completed = Assert.IsType<AgentJobCompleted>(Assert.Single(events));
        Assert.Equal(jobId, completed.Detail.JobId);
    }

    [Fact]
    public async Task FollowJob_EndsWithStreamLost_WhenTheAgentGoesAway()
    {
        var accepted = await Client.ApplyPatchesAsync(_endpoint, PatchSelection.All, null, CancellationToken.None);
        var following = FollowAsync(accepted.Value!.JobId);
        await Wait.UntilAsync(() => Task.FromResult(_agent.Output.Any(line => line.Contains(accepted.Value.JobId, StringComparison.Ordinal)) || following.IsCompleted),
            TimeSpan.FromSeconds(30), "the agent to log the job");

        await _agent.KillAsync();
        var events = await following;

        var lost = Assert.IsType<AgentJobStreamLost>(events[^1]);
        Assert.True(lost.Failure.IsTransient, lost.Failure.Message);
    }

    [Fact]
    public async Task RollbackJob_RestoresThePendingUpdates_WhenThePatchJobIsUndone()
    {
        var pending = (await Client.ListPatchesAsync(_endpoint, CancellationToken.None)).Value!.Count;
        var applied = await Client.ApplyPatchesAsync(_endpoint, PatchSelection.All, null, CancellationToken.None);
        Assert.IsType<AgentJobCompleted>((await FollowAsync(applied.Value!.JobId))[^1]);

        var rollback = await Client.RollbackJobAsync(_endpoint, applied.Value.JobId, CancellationToken.None);

        Assert.True(rollback.Succeeded, rollback.Failure?.Message);
        var done = Assert.IsType<AgentJobCompleted>((await FollowAsync(rollback.Value!.JobId))[^1]);
        Assert.Equal("completed", done.Detail.Status);
        Assert.Equal(pending, (await Client.ListPatchesAsync(_endpoint, CancellationToken.None)).Value!.Count);
    }

    [Fact]
    public async Task ListJobs_ReturnsPatchJobsNewestFirst_WhenTheAgentRanSome()
    {
        var first = await Client.ApplyPatchesAsync(_endpoint, PatchSelection.All, null, CancellationToken.None);
        Assert.IsType<AgentJobCompleted>((await FollowAsync(first.Value!.JobId))[^1]);
        var second = await Client.ApplyPatchesAsync(_endpoint, PatchSelection.All, null, CancellationToken.None);
        Assert.IsType<AgentJobCompleted>((await FollowAsync(second.Value!.JobId))[^1]);

        var jobs = await Client.ListJobsAsync(_endpoint, "patch_apply", 10, CancellationToken.None);

        Assert.True(jobs.Succeeded, jobs.Failure?.Message);
        Assert.Equal([second.Value.JobId, first.Value.JobId], jobs.Value!.Select(j => j.JobId));
        Assert.All(jobs.Value!, j => Assert.Equal(("patch_apply", "completed"), (j.Operation, j.Status)));
    }

    [Fact]
    public async Task CancelJob_CancelsTheRunningJob()
    {
        var accepted = await Client.ApplyPatchesAsync(_endpoint, PatchSelection.All, null, CancellationToken.None);

        var cancelled = await Client.CancelJobAsync(_endpoint, accepted.Value!.JobId, CancellationToken.None);

        Assert.True(cancelled.Succeeded, cancelled.Failure?.Message);
        Assert.Equal("cancelled", cancelled.Value!.CurrentStatus);
        Assert.Equal("cancelled", (await Client.GetJobAsync(_endpoint, accepted.Value.JobId, CancellationToken.None)).Value!.Status);
    }

    private async Task<List<AgentJobEvent>> FollowAsync(string jobId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = new List<AgentJobEvent>();
        await foreach (var item in Client.FollowJobAsync(_endpoint, jobId, timeout.Token))
        {
            events.Add(item);
        }

        return events;
    }

    private string Write(string name, string content, UnixFileMode mode)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }
}
