using System.ComponentModel.DataAnnotations;

namespace PatchPortal.Portal.Api;

/// <summary>Limits of the REST API (section <c>Portal:Api</c>).</summary>
public sealed class ApiOptions
{
    public const string Section = "Portal:Api";

    /// <summary>The largest request body the API reads; larger is a 413.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxRequestBodyBytes { get; set; } = 256 * 1024;

    /// <summary>Requests per minute one token may make; more is a 429 with Retry-After.</summary>
    [Range(1, 1_000_000)]
    public int TokenRequestsPerMinute { get; set; } = 600;

    /// <summary>Requests per minute from one source address (authenticated or not).</summary>
    [Range(1, 1_000_000)]
    public int SourceRequestsPerMinute { get; set; } = 1200;
}
