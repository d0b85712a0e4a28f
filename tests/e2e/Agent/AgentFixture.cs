using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Agent;

/// <summary>One real agent (simulated backend) on 127.0.0.2 with a test PKI, shared by a collection of tests.</summary>
public sealed class AgentFixture : IAsyncLifetime
{
    public TestPki Pki { get; } = new();

    public AgentProcess Agent { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Agent = await AgentProcess.StartAsync(Pki, "127.0.0.2");
        Client = Agent.CreateClient(Pki.PortalClient);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Agent.DisposeAsync();
        Pki.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class AgentCollectionDefinition : ICollectionFixture<AgentFixture>
{
    public const string Name = "agent";
}
