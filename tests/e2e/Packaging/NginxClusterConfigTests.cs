using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Packaging;

/// <summary>The nginx example for several portal nodes, checked by Debian's nginx itself (<c>nginx -t</c>).</summary>
public sealed class NginxClusterConfigTests
{
    private const string Nginx = "/usr/sbin/nginx";

    [Fact]
    public async Task ClusterExample_PassesNginxConfigTest_WithStickyUpstreamAndWebSocketUpgrade()
    {
        var example = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "packaging", "nginx", "patchportal-cluster.conf"));
        var directory = Directory.CreateTempSubdirectory("patchportal-nginx-").FullName;
        try
        {
            // The example's certificate paths, filled with a throw-away certificate so nginx can load them.
            using var key = RSA.Create(2048);
            using var certificate = new CertificateRequest("CN=portal.example", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
            var pem = Path.Combine(directory, "portal.pem");
            var keyFile = Path.Combine(directory, "portal.key");
            await File.WriteAllTextAsync(pem, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
            var site = Path.Combine(directory, "patchportal-cluster.conf");
            await File.WriteAllTextAsync(site, example
                .Replace("/etc/ssl/portal.example.pem", pem, StringComparison.Ordinal)
                .Replace("/etc/ssl/private/portal.example.key", keyFile, StringComparison.Ordinal));
            var main = Path.Combine(directory, "nginx.conf");
            await File.WriteAllTextAsync(main,
                $"pid {directory}/nginx.pid;\nerror_log {directory}/error.log;\nevents {{}}\n" +
                $"http {{\n  access_log {directory}/access.log;\n  client_body_temp_path {directory};\n  include {site};\n}}\n");

            var (exit, output) = await RunAsync(Nginx, "-t", "-p", directory, "-c", main);

            Assert.True(exit == 0, output);
            Assert.Contains("test is successful", output, StringComparison.Ordinal);
            Assert.Contains("hash $remote_addr consistent;", example, StringComparison.Ordinal);
            Assert.Contains("proxy_set_header Upgrade $http_upgrade;", example, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, params string[] arguments)
    {
        if (!File.Exists(program))
        {
            throw new InvalidOperationException($"{program} is missing: apt-get install nginx (./test.sh installs it).");
        }

        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
