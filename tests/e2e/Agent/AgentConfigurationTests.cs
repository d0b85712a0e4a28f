using System.Text.Json.Nodes;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Agent;

/// <summary>Invalid configuration stops the real agent at start, naming the key.</summary>
public sealed class AgentConfigurationTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public Task Start_Fails_WhenCertificateFileIsMissing() =>
        AssertRefusedAsync(new JsonObject { ["Tls"] = new JsonObject { ["Certificate"] = "/nonexistent/server.pem", ["Key"] = _pki.ServerKeyPath, ["ClientCa"] = _pki.CaPath } }, "Agent:Tls:Certificate");

    [Fact]
    public Task Start_Fails_WhenKeyIsWorldReadable()
    {
        var key = _pki.WritePem("open.key", File.ReadAllText(_pki.ServerKeyPath), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        return AssertRefusedAsync(new JsonObject { ["Tls"] = new JsonObject { ["Certificate"] = _pki.ServerCertificatePath, ["Key"] = key, ["ClientCa"] = _pki.CaPath } }, "Agent:Tls:Key");
    }

    [Fact]
    public Task Start_Fails_WhenKeyIsGroupReadable()
    {
        var key = _pki.WritePem("group.key", File.ReadAllText(_pki.ServerKeyPath), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        return AssertRefusedAsync(new JsonObject { ["Tls"] = new JsonObject { ["Certificate"] = _pki.ServerCertificatePath, ["Key"] = key, ["ClientCa"] = _pki.CaPath } }, "readable or writable by group or others");
    }

    [Fact]
    public Task Start_Fails_WhenCrlIsSignedByAnotherCa()
    {
        var crl = _pki.WriteCrl("forged-crl.pem", [], _pki.OtherCa);
        return AssertRefusedAsync(new JsonObject { ["Tls"] = new JsonObject { ["Certificate"] = _pki.ServerCertificatePath, ["Key"] = _pki.ServerKeyPath, ["ClientCa"] = _pki.CaPath, ["Crl"] = crl } }, "Agent:Tls:Crl");
    }

    [Fact]
    public Task Start_Fails_WhenNetworkIsNotACidr() =>
        AssertRefusedAsync(new JsonObject { ["AllowedNetworks"] = new JsonArray("10.0.0.0/33") }, "Agent:AllowedNetworks:0");

    [Fact]
    public Task Start_Fails_WhenBackendIsUnknown() =>
        AssertRefusedAsync(new JsonObject { ["Backend"] = "pacman" }, "Agent:Backend");

    [Fact]
    public Task Start_Fails_WhenUrlIsNotHttps() =>
        AssertRefusedAsync(new JsonObject { ["Urls"] = "http://127.0.0.1:12443" }, "Agent:Urls");

    [Fact]
    public Task Start_Fails_WhenJobTimeoutIsOutOfRange() =>
        AssertRefusedAsync(new JsonObject { ["Jobs"] = new JsonObject { ["TimeoutMinutes"] = 0 } }, "Agent:Jobs:TimeoutMinutes");

    [Fact]
    public async Task Start_Fails_WhenCommandLineOverridesWithInvalidValue()
    {
        await using var agent = await AgentProcess.StartAsync(_pki, "127.0.0.7", extraArgs: ["--Agent:Limits:RequestsPerMinute=-5"], waitUntilReady: false);
        Assert.Equal(2, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(agent.Output, l => l.Contains("Agent:Limits:RequestsPerMinute", StringComparison.Ordinal));
    }

    private async Task AssertRefusedAsync(JsonObject settings, string key)
    {
        await using var agent = await AgentProcess.StartAsync(_pki, "127.0.0.7", settings: settings, waitUntilReady: false);
        var exit = await agent.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await agent.WaitForOutputAsync(l => l.Contains(key, StringComparison.Ordinal), $"a message naming {key}");
        Assert.Equal(2, exit);
    }
}
