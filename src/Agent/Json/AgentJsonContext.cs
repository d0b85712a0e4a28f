using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;
using PatchPortal.Agent.Packages;
using PatchPortal.Agent.Packages.Simulated;

namespace PatchPortal.Agent.Json;

/// <summary>
/// Source-generated JSON metadata for every type the agent reads or writes: the wire DTOs (in their envelope), the
/// request bodies, the job stream's messages, the job files and the simulated backend's state. The agent serialises
/// with nothing else (reflection-based serialisation is off in every build of it, see Agent.csproj), so a type missing
/// here fails in the JIT build's tests exactly as it would in the Native AOT build.
/// </summary>
/// <remarks>
/// The property names come from the options the metadata is used with (<see cref="AgentWireJson.Options"/>: snake_case;
/// the simulated state: as declared), not from this attribute; the attribute repeats the wire conventions so the
/// generated fast-path writers apply to the wire options.
/// </remarks>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    PropertyNameCaseInsensitive = false,
    AllowDuplicateProperties = false,
    MaxDepth = AgentJson.MaxDepth,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    AllowTrailingCommas = false,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
// Answers, each in the envelope (ApiEnvelope<object> is the error envelope).
[JsonSerializable(typeof(ApiEnvelope<object>))]
[JsonSerializable(typeof(ApiEnvelope<HealthResponse>))]
[JsonSerializable(typeof(ApiEnvelope<SystemInfoDto>))]
[JsonSerializable(typeof(ApiEnvelope<ServiceStatusDto>))]
[JsonSerializable(typeof(ApiEnvelope<JobAccepted>))]
[JsonSerializable(typeof(ApiEnvelope<PackageListResponse>))]
[JsonSerializable(typeof(ApiEnvelope<EncodedPackageList>))]
[JsonSerializable(typeof(ApiEnvelope<PackageDetailDto>))]
[JsonSerializable(typeof(ApiEnvelope<PatchListResponse>))]
[JsonSerializable(typeof(ApiEnvelope<DryRunManifest>))]
[JsonSerializable(typeof(ApiEnvelope<JobListResponse>))]
[JsonSerializable(typeof(ApiEnvelope<JobDetail>))]
[JsonSerializable(typeof(ApiEnvelope<JobDeleteResponse>))]
// What an error's details hold (object values are written as their runtime type).
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(double))]
// Request bodies.
[JsonSerializable(typeof(InstallRequest))]
[JsonSerializable(typeof(UpdateRequest))]
[JsonSerializable(typeof(RebootRequest))]
[JsonSerializable(typeof(PatchApplyRequest))]
// The job stream.
[JsonSerializable(typeof(WsClientMessage))]
[JsonSerializable(typeof(JobEventHub.OutgoingMessage<JobStatusPayload>))]
[JsonSerializable(typeof(JobEventHub.OutgoingMessage<JobLogPayload>))]
[JsonSerializable(typeof(JobEventHub.OutgoingMessage<JobDetail>))]
[JsonSerializable(typeof(JobEventHub.OutgoingMessage<WsErrorPayload>))]
[JsonSerializable(typeof(JobEventHub.OutgoingMessage<JobsWebSocket.PongPayload>))]
// Files the agent keeps, and enrolment.
[JsonSerializable(typeof(Job))]
[JsonSerializable(typeof(SimulatedState))]
[JsonSerializable(typeof(EnrollmentRequest))]
[JsonSerializable(typeof(EnrollmentResponse))]
internal sealed partial class AgentJsonContext : JsonSerializerContext;

/// <summary>The agent's JSON options: the wire conventions of <see cref="AgentJson"/> with the generated metadata only.</summary>
public static class AgentWireJson
{
    /// <summary>The wire options the agent writes and reads with (answers, bodies, job stream, enrolment).</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>Applies the wire conventions and the generated metadata to <paramref name="options"/> (ASP.NET Core's own).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        AgentJson.Configure(options);
        options.TypeInfoResolver = AgentJsonContext.Default;
        return options;
    }

    /// <summary>The metadata of <typeparamref name="T"/> under the wire options.</summary>
    public static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    /// <summary>Options carrying the generated metadata with the given settings (job files, simulated state).</summary>
    internal static JsonSerializerOptions WithMetadata(JsonSerializerOptions options)
    {
        options.TypeInfoResolver = AgentJsonContext.Default;
        options.MakeReadOnly();
        return options;
    }

    private static JsonSerializerOptions Create()
    {
        var options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        options.MakeReadOnly();
        return options;
    }
}
