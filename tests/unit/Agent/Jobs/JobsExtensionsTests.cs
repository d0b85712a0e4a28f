using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Jobs;

namespace PatchPortal.Tests.Unit.Agent.Jobs;

public class JobsExtensionsTests
{
    [Fact]
    public async Task AddJobs_KeepsConfiguredListsSingle_WhenProgramAlreadyBoundAgentOptions()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Agent:Reboot:Command:0"] = "/bin/true" });
        builder.Services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section);

        builder.AddJobs();
        await using var app = builder.Build();

        Assert.Equal(["/bin/true"], app.Services.GetRequiredService<IOptions<AgentOptions>>().Value.Reboot.Command);
    }

    [Fact]
    public void EffectiveCommand_IsSystemctlReboot_WhenNothingIsConfigured() =>
        Assert.Equal(["/usr/bin/systemctl", "reboot"], new AgentOptions().Reboot.EffectiveCommand);

    [Theory]
    [InlineData(0, 30, "Agent:Jobs:TimeoutMinutes")]
    [InlineData(30, 0, "Agent:Jobs:RetentionDays")]
    public void Validate_NamesTheKey_WhenJobSettingIsOutOfRange(int timeoutMinutes, int retentionDays, string key)
    {
        var options = new AgentOptions();
        options.Jobs.TimeoutMinutes = timeoutMinutes;
        options.Jobs.RetentionDays = retentionDays;

        var result = new JobOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Succeeds_WhenDefaultsAreUsed() =>
        Assert.True(new JobOptionsValidator().Validate(null, new AgentOptions()).Succeeded);
}
