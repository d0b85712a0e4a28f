namespace PatchPortal.Portal.Infrastructure;

/// <summary>
/// What the interactive components of one circuit need to know about the request that opened it. The source
/// address reaches the circuit as a (server-protected) parameter of the root component, because HttpContext is
/// not available during interactive rendering.
/// </summary>
public sealed class CircuitContext
{
    public string? SourceAddress { get; set; }
}
