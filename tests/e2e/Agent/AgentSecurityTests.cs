using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Agent;

/// <summary>Every refusal at the connection and TLS layers, against the real agent process.</summary>
[Collection(AgentCollectionDefinition.Name)]
public sealed class AgentSecurityTests(AgentFixture fixture)
{
    private AgentProcess Agent => fixture.Agent;

    [Fact]
    public async Task Handshake_Succeeds_WhenClientIsAllowedByName()
    {
        using var client = Agent.CreateClient(fixture.Pki.PortalClient);
        var response = await client.GetEnvelopeAsync("api/v1/system/info");
        Assert.Equal(HttpStatusCode.OK, response.Status);
    }

    [Fact]
    public async Task Handshake_Succeeds_WhenClientIsAllowedByFingerprint()
    {
        using var client = Agent.CreateClient(fixture.Pki.ScriptClient);
        var response = await client.GetEnvelopeAsync("api/v1/system/info");
        Assert.Equal(HttpStatusCode.OK, response.Status);
    }

    [Fact]
    public Task Handshake_Fails_WhenNoClientCertificate() => AssertRefusedAsync(null, "no client certificate");

    [Fact]
    public Task Handshake_Fails_WhenCertificateIsFromAnotherCa() => AssertRefusedAsync(fixture.Pki.ForeignClient, "does not chain to the configured CA");

    [Fact]
    public Task Handshake_Fails_WhenCertificateExpired() => AssertRefusedAsync(fixture.Pki.ExpiredClient, "certificate expired");

    [Fact]
    public Task Handshake_Fails_WhenCertificateIsNotYetValid() => AssertRefusedAsync(fixture.Pki.NotYetValidClient, "not valid before");

    [Fact]
    public Task Handshake_Fails_WhenSubjectIsNotOnAllowList() => AssertRefusedAsync(fixture.Pki.UnlistedClient, "'intruder'");

    [Fact]
    public Task Handshake_Fails_WhenCertificateIsRevoked() => AssertRefusedAsync(fixture.Pki.RevokedClient, "is revoked by the CRL");

    [Fact]
    public async Task Connection_IsClosed_WhenPlainHttpIsSentToTheTlsPort()
    {
        var jobsBefore = await JobCountAsync();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var install = new StringContent("{\"packages\":[{\"name\":\"hello\"}]}", System.Text.Encoding.UTF8, "application/json");

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync(new Uri($"http://{Agent.Address}:{Agent.Port}/api/v1/packages"), install));

        await Agent.WaitForOutputAsync(l => l.Contains("not a TLS handshake (first byte 'P'", StringComparison.Ordinal), "the plain-HTTP refusal in the agent's log");
        Assert.Equal(jobsBefore, await JobCountAsync());
    }

    [Fact]
    public async Task Handshake_FailsAtOnce_WhenNewlyRevokedInTheCrlFileWithoutRestart()
    {
        var crl = fixture.Pki.WriteCrl("crl-reload.pem", fixture.Pki.RevokedClient);
        await using var agent = await AgentProcess.StartAsync(fixture.Pki, "127.0.0.100", settings: new JsonObject
        {
            ["Tls"] = new JsonObject { ["Certificate"] = fixture.Pki.ServerCertificatePath, ["Key"] = fixture.Pki.ServerKeyPath, ["ClientCa"] = fixture.Pki.CaPath, ["Crl"] = crl },
        });
        using (var before = agent.CreateClient(fixture.Pki.ScriptClient))
        {
            Assert.Equal(HttpStatusCode.OK, (await before.GetEnvelopeAsync("health")).Status);
        }

        fixture.Pki.WriteCrl("crl-reload.pem", [fixture.Pki.RevokedClient, fixture.Pki.ScriptClient]);

        using var after = agent.CreateClient(fixture.Pki.ScriptClient);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => after.GetAsync("health"));
        await agent.WaitForOutputAsync(l => l.Contains("Refused TLS client", StringComparison.Ordinal) && l.Contains("revoked by the CRL", StringComparison.Ordinal), "the revocation in the agent's log");
    }

    [Fact]
    public async Task Connection_IsClosedBeforeTls_WhenSourceAddressIsOutsideAllowList()
    {
        await using var agent = await AgentProcess.StartAsync(fixture.Pki, "127.0.0.3",
            settings: new JsonObject { ["AllowedNetworks"] = new JsonArray("127.0.0.4/32", "::1/128") },
            waitUntilReady: false);
        await Wait.UntilAsync(() => Task.FromResult(agent.Output.Any(l => l.Contains("Now listening", StringComparison.Ordinal)) || agent.ExitCode is not null),
            TimeSpan.FromSeconds(30), "agent to listen");

        using var allowed = agent.CreateClient(fixture.Pki.PortalClient, IPAddress.Parse("127.0.0.4"));
        Assert.Equal(HttpStatusCode.OK, (await allowed.GetEnvelopeAsync("health")).Status);

        using var refused = agent.CreateClient(fixture.Pki.PortalClient, IPAddress.Parse("127.0.0.5"));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => refused.GetAsync("health"));
        await agent.WaitForOutputAsync(l => l.Contains("Refused connection from 127.0.0.5", StringComparison.Ordinal), "the refusal in the agent's log");
    }

    [Fact]
    public async Task Connection_IsClosedAndLogged_WhenPeerSendsNothing()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(Agent.Address, Agent.Port));
        var buffer = new byte[1];
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // Closed by the agent (FIN or RST) long before our own limit, which would throw OperationCanceledException.
        try
        {
            Assert.Equal(0, await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token));
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        await Agent.WaitForOutputAsync(l => l.Contains("no TLS handshake within", StringComparison.Ordinal), "the silent peer in the agent's log");
    }

    [Fact]
    public async Task Health_IsServedWithoutCertificate_OnlyWhenAnonymousHealthIsOn()
    {
        await using var agent = await AgentProcess.StartAsync(fixture.Pki, "127.0.0.6", settings: new JsonObject { ["Health"] = new JsonObject { ["AllowAnonymous"] = true } });
        using var anonymous = agent.CreateClient(null);

        var health = await anonymous.GetEnvelopeAsync("health");
        var packages = await anonymous.GetEnvelopeAsync("api/v1/packages");

        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, packages.Status);
        Assert.Equal("AUTH_INVALID_CERT", packages.ErrorCode);
    }

    [Fact]
    public async Task Session_IsResumed_AndAResumedSessionIsRefused_OnceItsCertificateIsRevoked()
    {
        var crl = fixture.Pki.WriteCrl("crl-resume.pem", fixture.Pki.RevokedClient);
        await using var agent = await AgentProcess.StartAsync(fixture.Pki, "127.0.0.102", settings: new JsonObject
        {
            ["Tls"] = new JsonObject { ["Certificate"] = fixture.Pki.ServerCertificatePath, ["Key"] = fixture.Pki.ServerKeyPath, ["ClientCa"] = fixture.Pki.CaPath, ["Crl"] = crl },
        });
        var session = Path.Combine(fixture.Pki.Directory, $"session-{Guid.NewGuid():N}.pem");

        var first = await OpenSslGetHealthAsync(agent, fixture.Pki.ScriptClient, ["-sess_out", session]);
        var resumed = await OpenSslGetHealthAsync(agent, fixture.Pki.ScriptClient, ["-sess_in", session]);
        fixture.Pki.WriteCrl("crl-resume.pem", [fixture.Pki.RevokedClient, fixture.Pki.ScriptClient]);
        var afterRevocation = await OpenSslGetHealthAsync(agent, fixture.Pki.ScriptClient, ["-sess_in", session]);
        File.Delete(session);

        Assert.Contains("New, TLSv1.3", first, StringComparison.Ordinal);
        Assert.Contains("HTTP/1.1 200 OK", first, StringComparison.Ordinal);
        Assert.Contains("Reused, TLSv1.3", resumed, StringComparison.Ordinal);
        Assert.Contains("HTTP/1.1 200 OK", resumed, StringComparison.Ordinal);
        Assert.DoesNotContain("HTTP/1.1", afterRevocation, StringComparison.Ordinal);
        await agent.WaitForOutputAsync(l => l.Contains("Refused TLS client", StringComparison.Ordinal) && l.Contains("revoked by the CRL", StringComparison.Ordinal), "the revoked resumption in the agent's log");
    }

    [Fact]
    public async Task Connection_IsClosedBeforeARequest_WhenTls12SettlesOnACbcSuite()
    {
        var aead = await OpenSslGetHealthAsync(Agent, fixture.Pki.ScriptClient, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]);
        var cbc = await OpenSslGetHealthAsync(Agent, fixture.Pki.ScriptClient, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"]);

        Assert.Contains("HTTP/1.1 200 OK", aead, StringComparison.Ordinal);
        Assert.DoesNotContain("HTTP/1.1", cbc, StringComparison.Ordinal);
        await Agent.WaitForOutputAsync(l => l.Contains("negotiated TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, not a forward-secret AEAD suite", StringComparison.Ordinal),
            "the refused suite in the agent's log");
    }

    /// <summary>
    /// <c>GET /health</c> through OpenSSL's own client (which, unlike .NET's with a client certificate, keeps and offers
    /// sessions): what it printed, including its "New"/"Reused" line and the answer.
    /// </summary>
    private static async Task<string> OpenSslGetHealthAsync(AgentProcess agent, X509Certificate2 client, IEnumerable<string> options)
    {
        var directory = Directory.CreateTempSubdirectory("patchportal-openssl-").FullName;
        try
        {
            var certificate = Path.Combine(directory, "client.pem");
            var key = Path.Combine(directory, "client.key");
            await File.WriteAllTextAsync(certificate, client.ExportCertificatePem());
            await File.WriteAllTextAsync(key, TestPki.ExportKey(client));
            var start = new System.Diagnostics.ProcessStartInfo("openssl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in (string[])["s_client", "-connect", $"{agent.Address}:{agent.Port}", "-cert", certificate, "-key", key, "-ign_eof", .. options])
            {
                start.ArgumentList.Add(argument);
            }

            using var process = System.Diagnostics.Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                // Straight to the pipe, so the writer holds nothing that a later dispose would try to flush again.
                var request = System.Text.Encoding.ASCII.GetBytes($"GET /health HTTP/1.1\r\nHost: {agent.Address}\r\nConnection: close\r\n\r\n");
                await process.StandardInput.BaseStream.WriteAsync(request);
                process.StandardInput.BaseStream.Close();
            }
            catch (IOException)
            {
                // openssl already ended: the agent closed the connection before the request could be sent.
            }

            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("openssl s_client did not finish within 30 s");
            }

            return await stdout + await stderr;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>An install sent with <paramref name="certificate"/> fails in the handshake, is logged with its reason, and queues no job.</summary>
    private async Task AssertRefusedAsync(X509Certificate2? certificate, string logged)
    {
        var jobsBefore = await JobCountAsync();
        using var client = Agent.CreateClient(certificate);
        using var install = new StringContent("{\"packages\":[{\"name\":\"hello\"}]}", System.Text.Encoding.UTF8, "application/json");

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync("api/v1/packages", install));

        await Agent.WaitForOutputAsync(l => l.Contains("Refused TLS client", StringComparison.Ordinal) && l.Contains(logged, StringComparison.Ordinal), $"a refusal mentioning '{logged}'");
        Assert.Equal(jobsBefore, await JobCountAsync());
    }

    private async Task<int> JobCountAsync() => (await fixture.Client.GetEnvelopeAsync("api/v1/jobs")).Data.GetProperty("total").GetInt32();
}
