using System.Net;
using System.Text.Json;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Agent;

/// <summary>
/// The real dnf/rpm backend, through the real agent over mTLS: Debian ships dnf, rpm and createrepo_c, so the agent's
/// rpm and dnf commands run for real here against this machine's rpm database and a local repository of a tiny
/// package the fixture builds (<see cref="DnfRepository"/>).
/// </summary>
public sealed class DnfBackendTests(DnfRepository repository) : IClassFixture<DnfRepository>, IAsyncLifetime
{
    /// <summary>The agent trusts a fingerprint for a second (StateStamp.DefaultTrust); the rest is room for a slow listing.</summary>
    private static readonly TimeSpan OutsideChangeShowsWithin = TimeSpan.FromSeconds(3);

    private readonly TestPki _pki = new();
    private AgentProcess _agent = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _agent = await AgentProcess.StartAsync(_pki, "127.0.0.13", backend: "dnf");
        _client = _agent.CreateClient(_pki.PortalClient);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _agent.DisposeAsync();
        _pki.Dispose();
    }

    [Fact]
    public async Task Packages_MatchTheRpmDatabase()
    {
        var listed = (await _client.GetEnvelopeAsync("api/v1/packages?limit=1000")).Data;
        var rpm = SystemCommand.Run("rpm", "-qa", "--queryformat", "%{NAME}\\n").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(rpm.Length, listed.GetProperty("total").GetInt32());
        Assert.Equal(rpm.Order(StringComparer.Ordinal), listed.GetProperty("packages").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal("dnf", (await _client.GetEnvelopeAsync("api/v1/system/info")).Data.GetProperty("package_manager").GetString());
    }

    [Fact]
    public async Task InstallUpdateRollBackAndRemove_ChangeTheRpmDatabase_AsDnfDoes()
    {
        const string Name = DnfRepository.Package;
        try
        {
            repository.Publish("1.0");

            // Install 1.0: listed with its files, as rpm has it.
            var before = await TotalAsync();
            var install = await _client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/packages", $$"""{"packages":[{"name":"{{Name}}"}]}""");
            var installed = await CompletedAsync(install);
            Assert.Equal("1.0-1", DnfRepository.InstalledVersion());
            var change = Assert.Single(installed.GetProperty("changes").EnumerateArray(), c => c.GetProperty("package").GetString() == Name);
            Assert.Equal("1.0-1", change.GetProperty("after").GetString());
            Assert.Equal(before + 1, await TotalAsync());
            var detail = (await _client.GetEnvelopeAsync($"api/v1/packages/{Name}")).Data;
            Assert.Equal("1.0-1", detail.GetProperty("version").GetString());
            Assert.Contains("/usr/share/patchportal-probe/version", detail.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
            Assert.Equal("MIT", detail.GetProperty("license").GetString());
            Assert.DoesNotContain(await PatchesAsync(), p => p.GetProperty("name").GetString() == Name);

            // 1.1 appears in the repository: a pending update, as dnf check-update reports it. This change is made
            // outside the agent, which looks at the files behind its snapshot again a second after it last did.
            repository.Publish("1.1");
            var patch = await PatchOfProbeWithinAsync(OutsideChangeShowsWithin);
            Assert.Equal("1.0-1", patch.GetProperty("current_version").GetString());
            Assert.Equal("1.1-1", patch.GetProperty("candidate_version").GetString());
            var upgradable = (await _client.GetEnvelopeAsync($"api/v1/packages?name={Name}&status=upgradable")).Data;
            Assert.Equal("1.1-1", Assert.Single(upgradable.GetProperty("packages").EnumerateArray()).GetProperty("available_version").GetString());

            // Update it, then roll the update back to the recorded version (a dnf downgrade).
            var update = await CompletedAsync(await _client.SendEnvelopeAsync(HttpMethod.Put, $"api/v1/packages/{Name}", "{}"));
            Assert.Equal("1.1-1", DnfRepository.InstalledVersion());
            Assert.DoesNotContain(await PatchesAsync(), p => p.GetProperty("name").GetString() == Name);
            await CompletedAsync(await _client.SendEnvelopeAsync(HttpMethod.Post, $"api/v1/jobs/{update.GetProperty("job_id").GetString()}/rollback"));
            Assert.Equal("1.0-1", DnfRepository.InstalledVersion());

            // Remove it.
            await CompletedAsync(await _client.SendEnvelopeAsync(HttpMethod.Delete, $"api/v1/packages/{Name}"));
            Assert.Null(DnfRepository.InstalledVersion());
            Assert.Equal(HttpStatusCode.NotFound, (await _client.GetEnvelopeAsync($"api/v1/packages/{Name}")).Status);
            Assert.Equal(before, await TotalAsync());
        }
        finally
        {
            SystemCommand.Run("rpm", "-e", "--", Name);
        }
    }

    [Fact]
    public async Task Install_OfAPackageNoRepositoryHas_FailsWithDnfsReason_AndChangesNothing()
    {
        var before = await TotalAsync();

        var job = await _client.WaitForJobAsync((await _client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/packages", """{"packages":[{"name":"patchportal-no-such-package"}]}"""))
            .Data.GetProperty("job_id").GetString()!, TimeSpan.FromMinutes(5));

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("PKG_NOT_FOUND", job.GetProperty("error_code").GetString());
        Assert.Equal(before, await TotalAsync());
    }

    private async Task<JsonElement> CompletedAsync(AgentResponse accepted)
    {
        Assert.True(accepted.Status == HttpStatusCode.Accepted, accepted.Body.ToString());
        var job = await _client.WaitForJobAsync(accepted.Data.GetProperty("job_id").GetString()!, TimeSpan.FromMinutes(5));
        Assert.True(job.GetProperty("status").GetString() == "completed", job.ToString());
        return job;
    }

    private async Task<int> TotalAsync() => (await _client.GetEnvelopeAsync("api/v1/packages?limit=1")).Data.GetProperty("total").GetInt32();

    private async Task<List<JsonElement>> PatchesAsync() =>
        [.. (await _client.GetEnvelopeAsync("api/v1/patches?limit=1000")).Data.GetProperty("patches").EnumerateArray()];

    /// <summary>The probe's pending patch, asked for until it shows (it must within <paramref name="within"/>).</summary>
    private async Task<JsonElement> PatchOfProbeWithinAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var patches = (await PatchesAsync()).Where(p => p.GetProperty("name").GetString() == DnfRepository.Package).ToList();
            if (patches.Count > 0 || DateTime.UtcNow > deadline)
            {
                return Assert.Single(patches);
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>
/// A local dnf repository (<c>file://</c>) of a tiny noarch package, <see cref="Package"/>, built with rpmbuild in
/// versions 1.0 and 1.1, and enabled for dnf in <c>/etc/yum.repos.d</c> for the tests' duration. Nothing leaves this
/// machine. Disposing removes the repository's configuration and cache, and the package should a test have left it.
/// </summary>
public sealed class DnfRepository : IDisposable
{
    public const string Package = "patchportal-probe";
    private const string RepoId = "patchportal-e2e";
    private const string ReposDirectory = "/etc/yum.repos.d";

    private readonly string _root = Directory.CreateTempSubdirectory("patchportal-dnf-").FullName;
    private readonly string _repoFile = Path.Combine(ReposDirectory, RepoId + ".repo");
    private readonly bool _createdReposDirectory;

    public DnfRepository()
    {
        foreach (var tool in new[] { "/usr/bin/dnf", "/usr/bin/rpmbuild", "/usr/bin/createrepo_c" })
        {
            Assert.True(File.Exists(tool), $"{tool} is missing: test.sh installs dnf, rpm and createrepo-c from Debian");
        }

        var spec = Path.Combine(_root, Package + ".spec");
        File.WriteAllText(spec, $$"""
            Name: {{Package}}
            Version: %{ver}
            Release: 1
            Summary: PatchPortal test package
            License: MIT
            BuildArch: noarch
            AutoReqProv: no
            %description
            A tiny package the PatchPortal tests install and remove.
            %install
            mkdir -p %{buildroot}/usr/share/{{Package}}
            echo %{ver} > %{buildroot}/usr/share/{{Package}}/version
            %files
            /usr/share/{{Package}}/version

            """);
        foreach (var version in new[] { "1.0", "1.1" })
        {
            var build = SystemCommand.Run("rpmbuild", "-bb", "--define", "ver " + version, "--define", "_topdir " + Path.Combine(_root, "build"),
                "--define", "_rpmdir " + Path.Combine(_root, "rpms"), spec);
            Assert.True(build.ExitCode == 0, "rpmbuild failed: " + build.Stderr);
        }

        Directory.CreateDirectory(Path.Combine(_root, "repo"));
        _createdReposDirectory = !Directory.Exists(ReposDirectory);
        Directory.CreateDirectory(ReposDirectory);
        File.WriteAllText(_repoFile, $"[{RepoId}]\nname=PatchPortal e2e repository\nbaseurl=file://{Path.Combine(_root, "repo")}\ngpgcheck=0\nenabled=1\nmetadata_expire=0\n");
        Refresh();
    }

    /// <summary>Adds a version to the repository and refreshes dnf's cache (the agent reads the cache only: dnf -C).</summary>
    public void Publish(string version)
    {
        File.Copy(Path.Combine(_root, "rpms", "noarch", $"{Package}-{version}-1.noarch.rpm"), Path.Combine(_root, "repo", $"{Package}-{version}-1.noarch.rpm"), overwrite: true);
        Refresh();
    }

    /// <summary>The installed version-release, from rpm itself; null when not installed.</summary>
    public static string? InstalledVersion()
    {
        var query = SystemCommand.Run("rpm", "-q", "--queryformat", "%{VERSION}-%{RELEASE}", "--", Package);
        return query.ExitCode == 0 ? query.Stdout.Trim() : null;
    }

    public void Dispose()
    {
        SystemCommand.Run("rpm", "-e", "--", Package);
        SystemCommand.Run("dnf", "-q", "clean", "all", "--disablerepo=*", "--enablerepo=" + RepoId);
        File.Delete(_repoFile);
        foreach (var cached in Directory.Exists("/var/cache/dnf") ? Directory.GetFileSystemEntries("/var/cache/dnf", RepoId + "*") : [])
        {
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
            else
            {
                File.Delete(cached);
            }
        }

        if (_createdReposDirectory)
        {
            Directory.Delete(ReposDirectory);
        }

        Directory.Delete(_root, recursive: true);
    }

    private void Refresh()
    {
        var index = SystemCommand.Run("createrepo_c", "-q", "--update", Path.Combine(_root, "repo"));
        Assert.True(index.ExitCode == 0, "createrepo_c failed: " + index.Stderr);
        var cache = SystemCommand.Run("dnf", "-q", "makecache", "--disablerepo=*", "--enablerepo=" + RepoId);
        Assert.True(cache.ExitCode == 0, "dnf makecache failed: " + cache.Stderr);
    }
}
