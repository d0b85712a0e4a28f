using System.Net;
using System.Security.Cryptography.X509Certificates;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Enrollment;

/// <summary>
/// The portal creates its CA, adds this machine, enrols a real agent through the token + CSR flow
/// (<c>patch-agent enroll</c> against the portal's real endpoint), and supervises it: what <c>./run.sh</c> does.
/// </summary>
public sealed class LocalAgentEnrollmentTests
{
    [Fact]
    public async Task Portal_EnrolsAndSupervisesItsLocalAgent_OverTheRealTokenFlow()
    {
        var address = IPAddress.Parse("127.0.0.14");
        var port = Repository.FreePort(address);
        var settings = new Dictionary<string, string>
        {
            ["Portal:LocalAgent:Enabled"] = "true",
            ["Portal:LocalAgent:AgentPath"] = Repository.ProductPath("Agent", "patch-agent.dll"),
            ["Portal:LocalAgent:Address"] = address.ToString(),
            ["Portal:LocalAgent:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Portal:LocalAgent:Backend"] = "simulated",
            ["Portal:Admin:Email"] = "admin@example.com",
            ["Portal:Admin:Password"] = "Correct-Horse-42-Battery",
        };
        await using var portal = await PortalProcess.StartAsync(settings, TimeSpan.FromSeconds(90));
        var pki = Path.Combine(portal.DataDir, "pki");
        var certs = Path.Combine(portal.DataDir, "local-agent", "certs");

        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(pki, "ca.pem"));
        using var portalClient = X509Certificate2.CreateFromPemFile(Path.Combine(pki, "portal-client.pem"), Path.Combine(pki, "portal-client.key"));
        using var client = new HttpClient(Handler(ca, portalClient)) { BaseAddress = new Uri($"https://{address}:{port}/"), Timeout = TimeSpan.FromSeconds(10) };

        // The supervised agent answers the portal's client identity with a certificate the portal's CA issued.
        AgentResponse? info = null;
        await Wait.UntilAsync(async () =>
        {
            try
            {
                info = await client.GetEnvelopeAsync("api/v1/system/info");
                return info.Status == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(90), "the local agent to enrol and serve:\n" + portal.Output);

        Assert.Equal("simulated", info!.Data.GetProperty("package_manager").GetString());
        using var served = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(certs, "server.pem"));
        Assert.Equal("CN=" + Environment.MachineName.ToLowerInvariant(), served.Subject);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certs, "server.key")));
        Assert.Equal(File.ReadAllText(Path.Combine(pki, "ca.pem")).Trim(), File.ReadAllText(Path.Combine(certs, "ca.pem")).Trim());
        Assert.Contains("Enrolled", portal.Output, StringComparison.Ordinal);

        // A client from any other CA is refused by the enrolled agent.
        using var strangers = new TestPki();
        using var stranger = new HttpClient(Handler(ca, strangers.PortalClient)) { BaseAddress = client.BaseAddress };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => stranger.GetAsync("api/v1/system/info"));
    }

    private static SocketsHttpHandler Handler(X509Certificate2 ca, X509Certificate2 clientCertificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [clientCertificate];
        handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            if (certificate is null)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
        return handler;
    }
}
