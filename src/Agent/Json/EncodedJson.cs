using System.Text.Json;
using System.Text.Json.Serialization;

namespace PatchPortal.Agent.Json;

/// <summary>
/// A value already written as JSON (UTF-8, as the envelope writer would write it), copied into an answer as it is.
/// Lists the agent answers again and again (the package list of one snapshot) are encoded once per item this way.
/// </summary>
[JsonConverter(typeof(EncodedJsonConverter))]
internal readonly struct EncodedJson(byte[] utf8)
{
    public ReadOnlySpan<byte> Utf8 => utf8;
}

/// <summary>
/// <see cref="Contracts.PackageListResponse"/> with its packages already encoded: serialises to the same JSON (same
/// names, same order), which a unit test holds it to.
/// </summary>
internal sealed record EncodedPackageList(IReadOnlyList<EncodedJson> Packages, int Total, int Limit, int Offset);

/// <summary>Writes <see cref="EncodedJson"/> as it is.</summary>
internal sealed class EncodedJsonConverter : JsonConverter<EncodedJson>
{
    public override EncodedJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("encoded JSON is written, never read");

    // Written by the agent's own serializer, so not validated again.
    public override void Write(Utf8JsonWriter writer, EncodedJson value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Utf8, skipInputValidation: true);
}
