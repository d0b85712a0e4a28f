using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Agents;
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

    private string Write(string name, string content, UnixFileMode mode)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }
}
