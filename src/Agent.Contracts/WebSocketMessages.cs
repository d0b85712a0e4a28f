using System.Text.Json;

namespace PatchPortal.Agent.Contracts;

/// <summary>Message types on <c>/api/v1/ws/jobs</c>.</summary>
public static class WsMessageTypes
{
    public const string Subscribe = "subscribe";
    public const string Unsubscribe = "unsubscribe";
    public const string SubscribeAll = "subscribe_all";
    public const string Ping = "ping";

    public const string JobStatus = "job_status";
    public const string JobLog = "job_log";
    public const string JobComplete = "job_complete";
    public const string Pong = "pong";
    public const string Error = "error";
}

/// <summary>A client message; the tag may come as <c>type</c> or <c>action</c>.</summary>
public sealed record WsClientMessage
{
    public string? Type { get; init; }
    public string? Action { get; init; }
    public string? JobId { get; init; }

    public string? Tag => Type ?? Action;
}

public sealed record WsServerMessage(string Type, JsonElement Payload);

public sealed record JobStatusPayload(string JobId, string Status, int ProgressPercent, string? Message, DateTimeOffset UpdatedAt);

public sealed record JobLogPayload(string JobId, string Line);

public sealed record WsErrorPayload(string Code, string Message);
