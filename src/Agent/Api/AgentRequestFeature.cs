namespace PatchPortal.Agent.Api;

/// <summary>
/// What the guard middleware learned about a request: its id and the client certificate's identity. A request feature
/// rather than two <c>HttpContext.Items</c> entries: the items dictionary is built per request on first use.
/// </summary>
internal sealed class AgentRequestFeature(string requestId, string? client)
{
    public string RequestId { get; } = requestId;

    /// <summary>The allow-listed identity of the client certificate; null only for anonymous <c>/health</c>.</summary>
    public string? Client { get; } = client;
}
