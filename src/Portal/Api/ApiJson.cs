using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;

namespace PatchPortal.Portal.Api;

/// <summary>
/// The API's JSON: camelCase, enums as names, and strict on input: an unknown property, a duplicate property or a
/// wrong type is a 400 that names it, so a typo in a script never silently does something else.
/// </summary>
public static class ApiJson
{
    public static void Configure(JsonOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var json = options.SerializerOptions;
        json.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        json.AllowDuplicateProperties = false;
        json.MaxDepth = 32;
    }

    /// <summary>A model property name as the API spells it.</summary>
    public static string FieldName(string property) =>
        string.IsNullOrEmpty(property) ? property : JsonNamingPolicy.CamelCase.ConvertName(property);
}
