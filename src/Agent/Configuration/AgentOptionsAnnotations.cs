using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace PatchPortal.Agent.Configuration;

/// <summary>
/// The data annotations ([Required], [Range]) on <see cref="AgentOptions"/> and its sections, checked at start with the
/// key at fault named (<c>Agent:Limits:MaxConnections: The field ...</c>).
/// </summary>
/// <remarks>
/// <see cref="Validator"/> reads the attributes by reflection, which trimming could break for types it cannot see; the
/// option types are named here (<see cref="DynamicDependencyAttribute"/>) so their public properties and attributes
/// stay in a trimmed or Native AOT build, which makes the reflection safe.
/// </remarks>
public static class AgentOptionsAnnotations
{
    /// <summary>Binds <see cref="AgentOptions"/> from the <c>Agent</c> section (the binding source generator) with its annotations checked.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode",
        Justification = "ValidateDataAnnotations keeps AgentOptions' members (its type parameter asks for all of them); the section is bound by generated code.")]
    public static OptionsBuilder<AgentOptions> BindAgentOptions(IServiceCollection services) =>
        services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section).ValidateDataAnnotations();

    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(AgentOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(TlsOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(JobOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(LimitOptions))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(SimulatedOptions))]
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode",
        Justification = "Every object validated is one of the option types the DynamicDependency attributes keep whole.")]
    public static IReadOnlyList<string> Failures(AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (prefix, value) in new (string, object)[]
        {
            ("Agent", options), ("Agent:Tls", options.Tls), ("Agent:Jobs", options.Jobs), ("Agent:Limits", options.Limits), ("Agent:Simulated", options.Simulated),
        })
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(value, new(value), results, validateAllProperties: true);
            failures.AddRange(results.Select(r => $"{prefix}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }

        return failures;
    }
}
