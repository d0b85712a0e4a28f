using System.Text.Json;

namespace PatchPortal.Agent.Contracts;

/// <summary>The body of every agent response.</summary>
public sealed record ApiEnvelope<T>
{
    public required bool Success { get; init; }
    public required string RequestId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)]
    public T? Data { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)]
    public ApiError? Error { get; init; }
}

/// <summary>What went wrong, in the contract's terms.</summary>
public sealed record ApiError(string Code, string Message, IReadOnlyDictionary<string, object?> Details, bool Retryable);

/// <summary>The error codes of the contract.</summary>
public static class ErrorCodes
{
    public const string InvalidRequest = "INVALID_REQUEST";
    public const string PackageDependencyError = "PKG_DEPENDENCY_ERROR";
    public const string PackageVersionConflict = "PKG_VERSION_CONFLICT";
    public const string AuthInvalidCert = "AUTH_INVALID_CERT";
    public const string AuthCertExpired = "AUTH_CERT_EXPIRED";
    public const string IpDenied = "AUTHZ_IP_DENIED";
    public const string PackageNotFound = "PKG_NOT_FOUND";
    public const string PatchNotFound = "PATCH_NOT_FOUND";
    public const string JobNotFound = "JOB_NOT_FOUND";
    public const string ServiceNotFound = "SERVICE_NOT_FOUND";
    public const string NotFound = "NOT_FOUND";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string JobTimeout = "JOB_TIMEOUT";
    public const string JobConflict = "JOB_CONFLICT";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string RateLimitExceeded = "RATE_LIMIT_EXCEEDED";
    public const string PackageManagerError = "PKG_MANAGER_ERROR";
    public const string PatchApplyError = "PATCH_APPLY_ERROR";
    public const string SystemRebootError = "SYSTEM_REBOOT_ERROR";
    public const string ServiceUnhealthy = "SERVICE_UNHEALTHY";
    public const string InternalError = "INTERNAL_ERROR";
}

/// <summary>Error codes recorded on a failed job.</summary>
public static class JobErrorCodes
{
    public const string PackageManagerError = "PKG_MANAGER_ERROR";
    public const string CommandNotFound = "COMMAND_NOT_FOUND";
    public const string CacheRefreshError = "CACHE_REFRESH_ERROR";
    public const string NetworkError = "NETWORK_ERROR";
    public const string GpgError = "GPG_ERROR";
    public const string PackageNotFound = "PKG_NOT_FOUND";
    public const string DependencyConflict = "DEPENDENCY_CONFLICT";
    public const string PermissionDenied = "PERMISSION_DENIED";
    public const string RebootError = "REBOOT_ERROR";
    public const string Timeout = "TIMEOUT";
    public const string Unknown = "UNKNOWN_ERROR";
}
