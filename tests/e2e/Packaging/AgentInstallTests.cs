using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Packaging;

/// <summary>
/// The agent package on this very machine (the suite runs as root): the install command the portal shows fetches
/// install.sh and the .deb from the portal, installs it (maintainer scripts and all), enrols with the token, and the
/// installed agent (the package's Native AOT executable) answers the portal; purging removes what the package made.
/// </summary>
[Collection(PortalTests.Name)]
public sealed class AgentInstallTests(PortalFixture fixture) : IAsyncLifetime
{
    private const string Address = "127.0.0.23";
    private static readonly TimeSpan Tool = TimeSpan.FromMinutes(5);
    private readonly TestPki _unused = new();
    private AgentProcess? _agent;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_agent is not null)
        {
            await _agent.DisposeAsync();
        }

        await PurgeAsync();
        _unused.Dispose();
    }

    [Fact]
    public async Task InstallCommand_InstallsEnrolsAndRunsTheAgent_AndPurgeRemovesIt()
    {
        var build = await PackageBuild.GetAsync();
        var downloads = Directory.CreateDirectory(Path.Combine(fixture.Portal.DataDir, "downloads")).FullName;
        File.Copy(build.AgentDeb, Path.Combine(downloads, "patch-agent_amd64.deb"), overwrite: true);
        await using var context = await fixture.NewAdminContextAsync();
        var page = await context.NewPageAsync();
        var hosts = await HostsPage.OpenAsync(page);

        var command = await hosts.AddHostForInstallAsync("pkg-host", Address);

        // What the admin pastes is `curl .../downloads/install.sh | sudo sh -s -- ARGS`: the same, without sudo (root here).
        Assert.StartsWith($"curl -fsSL {fixture.Portal.BaseAddress.ToString().TrimEnd('/')}/downloads/install.sh | sudo sh -s -- ", command, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = fixture.Portal.BaseAddress };
        var script = Path.Combine(downloads, "fetched-install.sh");
        await File.WriteAllBytesAsync(script, await http.GetByteArrayAsync(new Uri("/downloads/install.sh", UriKind.Relative)));
        var arguments = command[(command.IndexOf(" -- ", StringComparison.Ordinal) + 4)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var install = await Run.ProcessAsync("sh", [script, .. arguments, "--no-start"], Tool);
        Assert.True(install.ExitCode == 0, $"install.sh failed ({install.ExitCode}):\n{install.Output}");

        Assert.Contains("Status: install ok installed", (await Run.ProcessAsync("dpkg", ["-s", "patch-agent"], Tool)).Output, StringComparison.Ordinal);
        Assert.True(File.Exists("/etc/patch-agent/certs/server.pem"), "enrolment wrote no certificate");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode("/etc/patch-agent/certs"));
        var config = JsonNode.Parse(await File.ReadAllTextAsync("/etc/patch-agent/agent.json"))!;
        Assert.NotEmpty(config["Agent"]!["AllowedClients"]!.AsArray());

        // The installed program, on this test's loopback address instead of the packaged 0.0.0.0.
        _agent = await AgentProcess.StartInstalledAsync(_unused, "/usr/bin/patch-agent", "/etc/patch-agent/agent.json", IPAddress.Parse(Address), 12443);
        await TestStep.RunAsync(page, "installed-agent-healthy", async () =>
        {
            hosts = await HostsPage.OpenAsync(page);
            await hosts.Row("pkg-host").GetByRole(AriaRole.Checkbox).CheckAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Refresh now" }).ClickAsync();
            await Assertions.Expect(hosts.Row("pkg-host")).ToContainTextAsync("Healthy", new() { Timeout = 120_000 });
        });

        await _agent.DisposeAsync();
        _agent = null;
        var purge = await PurgeAsync();
        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.False(Directory.Exists("/etc/patch-agent"), "purge left /etc/patch-agent");
        Assert.False(Directory.Exists("/var/lib/patch-agent"), "purge left /var/lib/patch-agent");
    }

    private static Task<Run.Result> PurgeAsync() =>
        Run.ProcessAsync("apt-get", ["purge", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", "patch-agent"], Tool);
}
