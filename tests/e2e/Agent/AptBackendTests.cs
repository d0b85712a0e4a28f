using System.Diagnostics;
using System.Net;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Agent;

/// <summary>The real apt/dpkg backend of this Debian machine, through the real agent over mTLS.</summary>
public sealed class AptBackendTests : IAsyncLifetime
{
    private const string TinyPackage = "hello";

    private readonly TestPki _pki = new();
    private AgentProcess _agent = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _agent = await AgentProcess.StartAsync(_pki, "127.0.0.12", backend: "apt");
        _client = _agent.CreateClient(_pki.PortalClient);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _agent.DisposeAsync();
        _pki.Dispose();
    }

    [Fact]
    public async Task Packages_MatchDpkgQuery()
    {
        var dpkg = (await _client.GetEnvelopeAsync("api/v1/packages/dpkg")).Data;
        var total = (await _client.GetEnvelopeAsync("api/v1/packages?limit=1")).Data.GetProperty("total").GetInt32();

        Assert.Equal(Run("dpkg-query", "-W", "-f=${Version}", "dpkg"), dpkg.GetProperty("version").GetString());
        Assert.Equal(Run("dpkg-query", "-W", "-f=${db:Status-Abbrev}\n").Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(s => s.StartsWith("ii", StringComparison.Ordinal)), total);
    }

    [Fact]
    public async Task Patches_AndDryRun_AgreeWithAptSimulation()
    {
        var patches = (await _client.GetEnvelopeAsync("api/v1/patches?limit=1000")).Data;
        var pending = Run("apt-get", "-s", "-o", "Debug::NoLocking=1", "dist-upgrade").Split('\n').Count(l => l.StartsWith("Inst ", StringComparison.Ordinal));
        var dryRun = await _client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/patches/apply", """{"options":{"dry_run":true}}""");

        Assert.Equal(pending, patches.GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.OK, dryRun.Status);
        Assert.Equal(pending, dryRun.Data.GetProperty("changes").GetArrayLength());
        Assert.Equal("apt", (await _client.GetEnvelopeAsync("api/v1/system/info")).Data.GetProperty("package_manager").GetString());
    }

    [Fact]
    public async Task InstallAndRemove_ChangeThePackageDatabase_ForATinyPackage()
    {
        try
        {
            var install = await _client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/packages", $$"""{"packages":[{"name":"{{TinyPackage}}"}]}""");
            var installed = await _client.WaitForJobAsync(install.Data.GetProperty("job_id").GetString()!, TimeSpan.FromMinutes(5));
            Assert.True(installed.GetProperty("status").GetString() == "completed", installed.ToString());
            var installedVersion = Run("dpkg-query", "-W", "-f=${Version}", TinyPackage);
            var change = Assert.Single(installed.GetProperty("changes").EnumerateArray(), c => c.GetProperty("package").GetString() == TinyPackage);
            Assert.Equal(installedVersion, change.GetProperty("after").GetString());
            Assert.NotEmpty(installed.GetProperty("logs").EnumerateArray());

            var remove = await _client.SendEnvelopeAsync(HttpMethod.Delete, $"api/v1/packages/{TinyPackage}?purge=true");
            var removed = await _client.WaitForJobAsync(remove.Data.GetProperty("job_id").GetString()!, TimeSpan.FromMinutes(5));
            Assert.True(removed.GetProperty("status").GetString() == "completed", removed.ToString());
            Assert.Equal(HttpStatusCode.NotFound, (await _client.GetEnvelopeAsync($"api/v1/packages/{TinyPackage}")).Status);
        }
        finally
        {
            Run("apt-get", "-y", "-q", "purge", "--", TinyPackage);
        }
    }

    private static string Run(string file, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        startInfo.Environment["LC_ALL"] = "C";
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
