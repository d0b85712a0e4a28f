using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace PatchPortal.Tests.E2E.Infrastructure;

/// <summary>One agent answer: status, headers and the parsed envelope.</summary>
public sealed record AgentResponse(HttpStatusCode Status, HttpResponseHeaders Headers, HttpContentHeaders ContentHeaders, JsonElement Body)
{
    public bool Success => Body.GetProperty("success").GetBoolean();

    public JsonElement Data => Body.GetProperty("data");

    public string? ErrorCode => Body.GetProperty("error") is { ValueKind: JsonValueKind.Object } e ? e.GetProperty("code").GetString() : null;

    public JsonElement Error => Body.GetProperty("error");

    public override string ToString() => $"{(int)Status} {Body}";
}

public static class AgentResponses
{
    public static Task<AgentResponse> GetEnvelopeAsync(this HttpClient client, string path) =>
        client.SendEnvelopeAsync(HttpMethod.Get, path);

    public static async Task<AgentResponse> SendEnvelopeAsync(this HttpClient client, HttpMethod method, string path, string? json = null, Action<HttpRequestMessage>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        configure?.Invoke(request);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonElement body;
        try
        {
            body = JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode} with a body that is not an envelope: '{text}'");
        }

        return new AgentResponse(response.StatusCode, response.Headers, response.Content.Headers, body);
    }

    /// <summary>Polls a job until it reaches a final state.</summary>
    public static async Task<JsonElement> WaitForJobAsync(this HttpClient client, string jobId, TimeSpan? timeout = null)
    {
        JsonElement job = default;
        await Wait.UntilAsync(async () =>
        {
            var response = await client.GetEnvelopeAsync($"api/v1/jobs/{jobId}");
            job = response.Data;
            return job.GetProperty("status").GetString() is "completed" or "failed" or "cancelled" or "timeout" or "interrupted";
        }, timeout ?? TimeSpan.FromSeconds(60), $"job {jobId} to finish");
        return job;
    }
}
