using System.Text.Json;
using System.Text.Json.Serialization;

namespace PatchPortal.Agent.Contracts;

/// <summary>The JSON conventions of the agent's wire contract (snake_case, RFC 3339 times, strict types).</summary>
public static class AgentJson
{
    /// <summary>Largest nesting depth a request body may have.</summary>
    public const int MaxDepth = 32;

    /// <summary>Options shared by the agent and every client of it.</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies the wire conventions to <paramref name="options"/> (used for ASP.NET Core's own options).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        // Dictionary keys are written as given: every key on the wire is snake_case already (check names, error
        // details), and a DictionaryKeyPolicy would turn off the source generator's fast-path writers for every type.
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.PropertyNameCaseInsensitive = false;
        options.AllowDuplicateProperties = false;
        options.MaxDepth = MaxDepth;
        options.ReadCommentHandling = JsonCommentHandling.Disallow;
        options.AllowTrailingCommas = false;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip;
        return options;
    }
}
