using PatchPortal.Agent.Configuration;

namespace PatchPortal.Tests.Unit.Agent.Configuration;

public class AgentOptionsValidatorTests
{
    private static string[] Failures(AgentOptions options) =>
        [.. new AgentOptionsValidator().Validate(null, options).Failures ?? []];

    [Fact]
    public void Validate_Succeeds_ForDefaults() => Assert.Empty(Failures(new AgentOptions()));

    [Fact]
    public void Validate_NamesTheIndex_WhenANetworkIsInvalid()
    {
        var failures = Failures(new AgentOptions { AllowedNetworks = ["10.0.0.0/8", "bogus"] });
        Assert.Contains(failures, f => f.StartsWith("Agent:AllowedNetworks:1:", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_Fails_WhenFingerprintIsMalformed()
    {
        var failures = Failures(new AgentOptions { AllowedClients = ["sha256:1234"] });
        Assert.Contains(failures, f => f.StartsWith("Agent:AllowedClients:0:", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_Fails_WhenBackendIsUnknown() =>
        Assert.Contains(Failures(new AgentOptions { Backend = "zypper" }), f => f.StartsWith("Agent:Backend:", StringComparison.Ordinal));

    [Fact]
    public void Validate_Fails_WhenRebootCommandIsRelative() =>
        Assert.Contains(Failures(new AgentOptions { Reboot = new RebootOptions { Command = ["reboot"] } }), f => f.StartsWith("Agent:Reboot:Command", StringComparison.Ordinal));

    [Fact]
    public void EffectiveAllowedNetworks_IsLoopback_WhenNoneConfigured() =>
        Assert.Equal(["127.0.0.0/8", "::1/128"], new AgentOptions().EffectiveAllowedNetworks);

    [Fact]
    public void EffectiveAllowedNetworks_IsOnlyTheConfiguredOnes_WhenSome() =>
        Assert.Equal(["10.1.0.0/16"], new AgentOptions { AllowedNetworks = ["10.1.0.0/16"] }.EffectiveAllowedNetworks);
}
