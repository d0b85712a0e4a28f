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

    [Theory]
    [InlineData("name", "asc")]
    [InlineData("name", "desc")]
    [InlineData("version", "asc")]
    [InlineData("size", "desc")]
    public async Task Packages_PageThroughEveryPackageOnce_InTheAskedOrder(string sort, string order)
    {
        // The agent keeps each order of its cached list: every page comes from the same sorted view.
        var pages = new List<System.Text.Json.JsonElement>();
        int total;
        do
        {
            var page = (await _client.GetEnvelopeAsync($"api/v1/packages?limit=400&offset={pages.Count}&sort={sort}&order={order}")).Data;
            total = page.GetProperty("total").GetInt32();
            pages.AddRange(page.GetProperty("packages").EnumerateArray());
        }
        while (pages.Count < total);

        Assert.Equal(total, pages.Count);
        Assert.Equal(total, pages.Select(p => p.GetProperty("name").GetString() + ":" + p.GetProperty("architecture").GetString()).Distinct().Count());
        var keys = sort switch
        {
            "version" => pages.Select(p => p.GetProperty("version").GetString()!).ToList(),
            "size" => pages.Select(p => p.TryGetProperty("size_bytes", out var size) ? size.GetInt64().ToString("D20", System.Globalization.CultureInfo.InvariantCulture) : new string('0', 20)).ToList(),
            _ => pages.Select(p => p.GetProperty("name").GetString()!).ToList(),
        };
        var expected = order == "asc" ? keys.Order(StringComparer.Ordinal) : keys.OrderDescending(StringComparer.Ordinal);
        Assert.Equal(expected, keys);
    }

    [Fact]
    public async Task Packages_CountAndPageTheFilteredList()
    {
        var all = (await _client.GetEnvelopeAsync("api/v1/packages?name=lib*&limit=1000")).Data;
        var window = await _client.GetEnvelopeAsync("api/v1/packages?name=lib*&limit=3&offset=2");
        var names = all.GetProperty("packages").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();

        Assert.True(names.Count > 5, $"{names.Count} lib* packages");
        Assert.All(names, n => Assert.StartsWith("lib", n, StringComparison.Ordinal));
        Assert.Equal(all.GetProperty("total").GetInt32(), window.Data.GetProperty("total").GetInt32());
        Assert.Equal(names.Skip(2).Take(3), window.Data.GetProperty("packages").EnumerateArray().Select(p => p.GetProperty("name").GetString()));

        // Answered whole, with its length, as nginx answers a file.
        Assert.Equal(window.ContentHeaders.ContentLength, System.Text.Encoding.UTF8.GetByteCount(window.Body.GetRawText()));
        Assert.NotEqual(true, window.Headers.TransferEncodingChunked);
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
            // Listed before, so the agent has the list cached and sorted: the change must still show.
            var before = await ListedAsync();
            Assert.DoesNotContain(TinyPackage, before.Names);

            var install = await _client.SendEnvelopeAsync(HttpMethod.Post, "api/v1/packages", $$"""{"packages":[{"name":"{{TinyPackage}}"}]}""");
            var installed = await _client.WaitForJobAsync(install.Data.GetProperty("job_id").GetString()!, TimeSpan.FromMinutes(5));
            Assert.True(installed.GetProperty("status").GetString() == "completed", installed.ToString());
            var installedVersion = Run("dpkg-query", "-W", "-f=${Version}", TinyPackage);
            var change = Assert.Single(installed.GetProperty("changes").EnumerateArray(), c => c.GetProperty("package").GetString() == TinyPackage);
            Assert.Equal(installedVersion, change.GetProperty("after").GetString());
            Assert.NotEmpty(installed.GetProperty("logs").EnumerateArray());
            var after = await ListedAsync();
            Assert.Contains(TinyPackage, after.Names);
            Assert.Equal(before.Total + 1, after.Total);

            var remove = await _client.SendEnvelopeAsync(HttpMethod.Delete, $"api/v1/packages/{TinyPackage}?purge=true");
            var removed = await _client.WaitForJobAsync(remove.Data.GetProperty("job_id").GetString()!, TimeSpan.FromMinutes(5));
            Assert.True(removed.GetProperty("status").GetString() == "completed", removed.ToString());
            Assert.Equal(HttpStatusCode.NotFound, (await _client.GetEnvelopeAsync($"api/v1/packages/{TinyPackage}")).Status);
            Assert.DoesNotContain(TinyPackage, (await ListedAsync()).Names);
        }
        finally
        {
            Run("apt-get", "-y", "-q", "purge", "--", TinyPackage);
        }
    }

    /// <summary>The names around the tiny package's place in the name order, and the total.</summary>
    private async Task<(List<string> Names, int Total)> ListedAsync()
    {
        var page = (await _client.GetEnvelopeAsync($"api/v1/packages?name=he*&sort=name&limit=1000")).Data;
        var total = (await _client.GetEnvelopeAsync("api/v1/packages?sort=name&limit=1")).Data.GetProperty("total").GetInt32();
        return (page.GetProperty("packages").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToList(), total);
    }

    private static string Run(string file, params string[] arguments) => SystemCommand.Run(file, arguments).Stdout;
}
