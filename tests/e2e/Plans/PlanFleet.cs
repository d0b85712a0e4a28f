using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using PatchPortal.Tests.E2E.Infrastructure;
using PatchPortal.Tests.E2E.Pages;

namespace PatchPortal.Tests.E2E.Plans;

/// <summary>
/// What a plan test needs around it, made through the portal as an admin would: groups, hosts whose real agents enrol
/// with the command the portal shows (as in the fleet enrolment test), a maintenance window, and users. Every agent it
/// starts is stopped by its own handle.
/// </summary>
internal sealed class PlanFleet : IAsyncDisposable
{
    private readonly List<AgentProcess> _agents = [];
    private readonly TestPki _unused = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("patchportal-plans-").FullName;

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        _unused.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Adds the host (in the group) as the admin, then enrols and starts its agent with the shown command.</summary>
    public async Task AddEnrolledHostAsync(IPage adminPage, string name, string address, string group, string backend = "simulated")
    {
        var hosts = await HostsPage.OpenAsync(adminPage);
        var ticket = await hosts.AddHostAsync(name, address, group);
        Assert.True(ticket is not null, "the portal issued no enrolment token");
        await EnrolAndStartAsync(name, IPAddress.Parse(address), ticket.Value.Command, backend);
    }

    /// <summary>A weekly window for the group, starting tomorrow at 02:00 in the browser's zone (the form's default).</summary>
    public static async Task CreateWindowAsync(IPage adminPage, string name, string group)
    {
        await adminPage.GotoAsync("/windows/new");
        var shell = new ShellPage(adminPage);
        await shell.WaitUntilReadyAsync();
        await Assertions.Expect(shell.Heading).ToHaveTextAsync("New window");
        await adminPage.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await adminPage.GetByLabel("Groups", new() { Exact = true }).ClickAsync();
        await adminPage.GetByRole(AriaRole.Option, new() { Name = group, Exact = true }).ClickAsync();
        await adminPage.Keyboard.PressAsync("Escape");
        await Assertions.Expect(adminPage.GetByTestId("preview-occurrence").First).ToBeVisibleAsync();
        await adminPage.GetByRole(AriaRole.Button, new() { Name = "Create window" }).ClickAsync();
        await Assertions.Expect(adminPage).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/windows$"), new() { Timeout = 20_000 });
    }

    public static async Task CreateGroupAsync(IPage adminPage, string name, string? environment = null)
    {
        var groups = await GroupsPage.OpenAsync(adminPage);
        await groups.CreateGroupAsync(name, environment);
    }

    /// <summary>Creates a user with the role through Settings → Users and returns a browser context signed in as them.</summary>
    public static async Task<IBrowserContext> UserAsync(PortalFixture fixture, IPage adminPage, string email, string role)
    {
        var users = await UsersPage.OpenAsync(adminPage);
        var password = await users.CreateUserAsync(email, role);
        return await fixture.NewContextAsAsync(email, password);
    }

    /// <summary>What a dist-upgrade would do on this machine now, as apt itself says (Inst and Remv lines): name → candidate (null for removals).</summary>
    public static async Task<IReadOnlyDictionary<string, string?>> AptSimulationAsync()
    {
        var start = new ProcessStartInfo("apt-get") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-s", "-o", "Debug::NoLocking=1", "dist-upgrade" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LC_ALL"] = "C";
        using var apt = Process.Start(start)!;
        var output = await apt.StandardOutput.ReadToEndAsync();
        await apt.StandardError.ReadToEndAsync();
        await apt.WaitForExitAsync();
        Assert.True(apt.ExitCode == 0, $"apt-get -s dist-upgrade failed with {apt.ExitCode}");
        var changes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words is ["Inst", var name, ..])
            {
                // "Inst name [current] (candidate origin [arch])" or "Inst name (candidate origin [arch])"
                var open = Array.FindIndex(words, w => w.StartsWith('('));
                changes[name] = open < 0 ? null : words[open].TrimStart('(');
            }
            else if (words is ["Remv", var removed, ..])
            {
                changes[removed] = null;
            }
        }

        return changes;
    }

    private async Task EnrolAndStartAsync(string name, IPAddress address, string command, string backend)
    {
        var port = Repository.FreePort(address);
        var home = Directory.CreateDirectory(Path.Combine(_directory, name)).FullName;
        var config = Path.Combine(home, "agent.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["Agent"] = new JsonObject
            {
                ["Urls"] = $"https://{address}:{port}",
                ["Backend"] = backend,
                ["DataDir"] = Path.Combine(home, "data"),
                ["Tls"] = new JsonObject
                {
                    ["Certificate"] = Path.Combine(home, "certs", "server.pem"),
                    ["Key"] = Path.Combine(home, "certs", "server.key"),
                    ["ClientCa"] = Path.Combine(home, "certs", "ca.pem"),
                },
                ["Reboot"] = new JsonObject { ["Command"] = new JsonArray("/bin/true") },
                ["Simulated"] = new JsonObject { ["JobDurationMs"] = 300 },
            },
        }.ToJsonString());

        // The shown command, as the admin would paste it, minus sudo and with this test's free port.
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(w => w != "enroll").ToList();
        words[words.IndexOf("--port") + 1] = port.ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Repository.ProductPath("Agent", "patch-agent.dll"));
        foreach (var word in words.Concat(["--config", config]))
        {
            start.ArgumentList.Add(word);
        }

        using var enroll = Process.Start(start)!;
        var output = await enroll.StandardOutput.ReadToEndAsync() + await enroll.StandardError.ReadToEndAsync();
        await enroll.WaitForExitAsync();
        Assert.True(enroll.ExitCode == 0, $"enroll failed ({enroll.ExitCode}): {output}");

        _agents.Add(await AgentProcess.StartWithConfigAsync(_unused, config, address, port));
    }
}
