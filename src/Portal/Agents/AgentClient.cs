using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Pki;

namespace PatchPortal.Portal.Agents;

/// <summary>The real <see cref="IAgentClient"/> over pooled mTLS connections, one pool per expected agent certificate.</summary>
public sealed partial class AgentClient(AgentConnections connections, ILogger<AgentClient> logger) : IAgentClient
{
    private const int PageSize = 1000;
    private const int MaxPages = 100;

    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2)];

    public Task<AgentCallResult<HealthResponse>> GetHealthAsync(AgentEndpoint agent, CancellationToken cancellationToken) =>
        GetAsync<HealthResponse>(agent, "health", TimeSpan.FromSeconds(10), cancellationToken);

    public Task<AgentCallResult<SystemInfoDto>> GetSystemInfoAsync(AgentEndpoint agent, CancellationToken cancellationToken) =>
        GetAsync<SystemInfoDto>(agent, "api/v1/system/info", TimeSpan.FromSeconds(15), cancellationToken);

    public async Task<AgentCallResult<IReadOnlyList<PackageDto>>> ListPackagesAsync(AgentEndpoint agent, CancellationToken cancellationToken)
    {
        var packages = new List<PackageDto>();
        for (var page = 0; page < MaxPages; page++)
        {
            var result = await GetAsync<PackageListResponse>(agent, $"api/v1/packages?limit={PageSize}&offset={page * PageSize}&sort=name", TimeSpan.FromSeconds(60), cancellationToken);
            if (result.Failure is { } failure)
            {
                return AgentCallResult.Fail<IReadOnlyList<PackageDto>>(failure);
            }

            packages.AddRange(result.Value!.Packages);
            if (result.Value.Packages.Count < PageSize || packages.Count >= result.Value.Total)
            {
                break;
            }
        }

        return AgentCallResult.Ok<IReadOnlyList<PackageDto>>(packages);
    }

    public async Task<AgentCallResult<IReadOnlyList<PatchDto>>> ListPatchesAsync(AgentEndpoint agent, CancellationToken cancellationToken)
    {
        var patches = new List<PatchDto>();
        for (var page = 0; page < MaxPages; page++)
        {
            var result = await GetAsync<PatchListResponse>(agent, $"api/v1/patches?limit={PageSize}&offset={page * PageSize}", TimeSpan.FromSeconds(120), cancellationToken);
            if (result.Failure is { } failure)
            {
                return AgentCallResult.Fail<IReadOnlyList<PatchDto>>(failure);
            }

            patches.AddRange(result.Value!.Patches);
            if (result.Value.Patches.Count < PageSize || patches.Count >= result.Value.Total)
            {
                break;
            }
        }

        return AgentCallResult.Ok<IReadOnlyList<PatchDto>>(patches);
    }

    public Task<AgentCallResult<DryRunManifest>> DryRunPatchesAsync(AgentEndpoint agent, PatchSelection selection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        // A dry run changes nothing, so it may be retried like a GET.
        return WithRetriesAsync(agent, "api/v1/patches/apply", () => SendAsync<DryRunManifest>(
            agent, HttpMethod.Post, "api/v1/patches/apply", TimeSpan.FromSeconds(120), cancellationToken, ApplyRequest(selection, dryRun: true)), cancellationToken);
    }

    public Task<AgentCallResult<JobAccepted>> ApplyPatchesAsync(AgentEndpoint agent, PatchSelection selection, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        const string path = "api/v1/patches/apply";
        var body = ApplyRequest(selection, dryRun: false);
        // With a key the agent answers a repeated request with the job the first one started, so a request whose
        // answer was lost may be sent again like a GET; without one, never.
        return idempotencyKey is null
            ? PostOnceAsync<JobAccepted>(agent, path, body, cancellationToken)
            : WithRetriesAsync(agent, path, () => SendAsync<JobAccepted>(agent, HttpMethod.Post, path, TimeSpan.FromSeconds(30), cancellationToken, body, idempotencyKey), cancellationToken);
    }

    public Task<AgentCallResult<JobDetail>> GetJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken) =>
        GetAsync<JobDetail>(agent, $"api/v1/jobs/{Uri.EscapeDataString(jobId)}", TimeSpan.FromSeconds(15), cancellationToken);

    public async Task<AgentCallResult<IReadOnlyList<JobSummary>>> ListJobsAsync(AgentEndpoint agent, string operation, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(operation);
        var result = await GetAsync<JobListResponse>(agent,
            $"api/v1/jobs?operation={Uri.EscapeDataString(operation)}&sort=created_at&order=desc&limit={Math.Clamp(limit, 1, PageSize)}",
            TimeSpan.FromSeconds(15), cancellationToken);
        return result.Failure is { } failure
            ? AgentCallResult.Fail<IReadOnlyList<JobSummary>>(failure)
            : AgentCallResult.Ok(result.Value!.Jobs);
    }

    public Task<AgentCallResult<JobAccepted>> RebootAsync(AgentEndpoint agent, string reason, CancellationToken cancellationToken) =>
        PostOnceAsync<JobAccepted>(agent, "api/v1/system/reboot", new RebootRequest { DelaySeconds = 0, Reason = reason }, cancellationToken);

    public Task<AgentCallResult<JobAccepted>> RollbackJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken) =>
        PostOnceAsync<JobAccepted>(agent, $"api/v1/jobs/{Uri.EscapeDataString(jobId)}/rollback", new { }, cancellationToken);

    public Task<AgentCallResult<JobDeleteResponse>> CancelJobAsync(AgentEndpoint agent, string jobId, CancellationToken cancellationToken) =>
        IfEnrolled(agent, () => SendAsync<JobDeleteResponse>(agent, HttpMethod.Delete, $"api/v1/jobs/{Uri.EscapeDataString(jobId)}", TimeSpan.FromSeconds(15), cancellationToken));

    private static PatchApplyRequest ApplyRequest(PatchSelection selection, bool dryRun) => new()
    {
        Packages = selection.Packages,
        AllowReboot = false,
        Options = new PatchApplyOptions
        {
            Reboot = false,
            SecurityOnly = selection.SecurityOnly,
            ExcludePackages = selection.ExcludePackages,
            DryRun = dryRun,
        },
    };

    /// <summary>A request that starts work is sent once: a retry after a lost answer could start it twice.</summary>
    private Task<AgentCallResult<T>> PostOnceAsync<T>(AgentEndpoint agent, string path, object body, CancellationToken cancellationToken) =>
        IfEnrolled(agent, () => SendAsync<T>(agent, HttpMethod.Post, path, TimeSpan.FromSeconds(30), cancellationToken, body));

    private static Task<AgentCallResult<T>> IfEnrolled<T>(AgentEndpoint agent, Func<Task<AgentCallResult<T>>> call) =>
        agent.CertificateFingerprint is null
            ? Task.FromResult(AgentCallResult.Fail<T>(new AgentFailure(AgentFailureKind.NotEnrolled, "the host has not enrolled yet")))
            : call();

    /// <summary>A GET is idempotent, so transient failures are retried with back-off.</summary>
    private Task<AgentCallResult<T>> GetAsync<T>(AgentEndpoint agent, string path, TimeSpan timeout, CancellationToken cancellationToken) =>
        WithRetriesAsync(agent, path, () => SendAsync<T>(agent, HttpMethod.Get, path, timeout, cancellationToken), cancellationToken);

    private async Task<AgentCallResult<T>> WithRetriesAsync<T>(AgentEndpoint agent, string path, Func<Task<AgentCallResult<T>>> send, CancellationToken cancellationToken)
    {
        if (agent.CertificateFingerprint is null)
        {
            return AgentCallResult.Fail<T>(new AgentFailure(AgentFailureKind.NotEnrolled, "the host has not enrolled yet"));
        }

        for (var attempt = 0; ; attempt++)
        {
            var result = await send();
            if (result.Failure is not { IsTransient: true } failure || attempt >= RetryDelays.Length)
            {
                return result;
            }

            LogRetrying(logger, agent.Name, path, failure.Message);
            await Task.Delay(RetryDelays[attempt], cancellationToken);
        }
    }

    private async Task<AgentCallResult<T>> SendAsync<T>(
        AgentEndpoint agent, HttpMethod method, string path, TimeSpan timeout, CancellationToken cancellationToken, object? body = null, string? idempotencyKey = null)
    {
        var uri = new Uri(BaseUri(agent), path);
        using var request = new HttpRequestMessage(method, uri);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: AgentJson.Options);
        }

        // The id of the request, interaction or job this call serves: the agent logs it and keeps it on the job it starts.
        request.Headers.Add(RequestIds.Header, Operations.RequestContext.CurrentOrNew());
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            using var response = await connections.For(agent.CertificateFingerprint!).SendAsync(request, timeoutSource.Token);
            LogAnswered(logger, agent.Name, method.Method, path, (int)response.StatusCode);
            ApiEnvelope<T>? envelope;
            try
            {
                envelope = await response.Content.ReadFromJsonAsync<ApiEnvelope<T>>(AgentJson.Options, timeoutSource.Token);
            }
            catch (JsonException ex)
            {
                return Failed<T>(agent, AgentFailureKind.InvalidResponse, $"the agent answered {(int)response.StatusCode} with something that is not the agent API: {ex.Message}");
            }

            if (envelope is null)
            {
                return Failed<T>(agent, AgentFailureKind.InvalidResponse, $"the agent answered {(int)response.StatusCode} with an empty body");
            }

            if (envelope.Error is { } error)
            {
                return Failed<T>(agent, AgentFailureKind.AgentError, $"{error.Code}: {error.Message}", error.Code);
            }

            if (envelope.Data is not { } data)
            {
                return Failed<T>(agent, AgentFailureKind.InvalidResponse, "the agent's answer holds no data");
            }

            Operations.PortalMetrics.AgentCalls.WithLabels("ok").Inc();
            return AgentCallResult.Ok(data);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed<T>(agent, AgentFailureKind.Timeout, $"no answer within {timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex)
        {
            return Failed<T>(agent, Classify(ex), Describe(ex));
        }
    }

    public static Uri BaseUri(AgentEndpoint agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var host = IPAddress.TryParse(agent.Address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : agent.Address;
        return new Uri($"https://{host}:{agent.Port}/");
    }

    private AgentCallResult<T> Failed<T>(AgentEndpoint agent, AgentFailureKind kind, string message, string? code = null)
    {
        Operations.PortalMetrics.AgentCalls.WithLabels(kind.ToString()).Inc();
        LogFailed(logger, agent.Name, kind, message);
        return AgentCallResult.Fail<T>(new AgentFailure(kind, message, code));
    }

    /// <summary>
    /// A refused certificate (ours or the agent's) is an <see cref="AuthenticationException"/>; a connection that merely
    /// ended during the handshake (an agent stopping, a reset) is an I/O error and as transient as any other drop.
    /// </summary>
    internal static AgentFailureKind Classify(HttpRequestException ex) =>
        IsRefusedHandshake(ex)
            ? AgentFailureKind.CertificateRejected
            : ex.HttpRequestError is HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded
                ? AgentFailureKind.InvalidResponse
                : AgentFailureKind.Unreachable;

    private static bool IsRefusedHandshake(HttpRequestException ex) =>
        ex.InnerException is AuthenticationException
        || (ex.HttpRequestError == HttpRequestError.SecureConnectionError && ex.InnerException is not IOException);

    private static string Describe(HttpRequestException ex)
    {
        var inner = ex.InnerException is { } i ? $" ({i.Message})" : string.Empty;
        if (IsRefusedHandshake(ex))
        {
            return "TLS handshake failed: the agent's certificate is not the one the portal issued to this host, is revoked, or the agent refused the portal" + inner;
        }

        return ex.HttpRequestError == HttpRequestError.SecureConnectionError
            ? "the connection closed during the TLS handshake" + inner
            : ex.Message + inner;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Host}: {Kind}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string host, AgentFailureKind kind, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Agent {Host}: {Method} {Path} answered {StatusCode}")]
    private static partial void LogAnswered(ILogger logger, string host, string method, string path, int statusCode);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Agent {Host}: retrying {Path} after {Reason}")]
    private static partial void LogRetrying(ILogger logger, string host, string path, string reason);
}

/// <summary>
/// The portal's check of an agent's server certificate: it must chain to the portal CA, be exactly the certificate the
/// portal issued to the host being called (by fingerprint), and not be revoked.
/// </summary>
public sealed class AgentCertificateValidator(PortalCertificateAuthority ca, RevokedCertificates revoked)
{
    public PortalCertificateAuthority Ca => ca;

    public bool Validate(string expectedFingerprint, X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        var fingerprint = PortalCertificateAuthority.Fingerprint(certificate);
        return string.Equals(fingerprint, expectedFingerprint, StringComparison.OrdinalIgnoreCase)
            && !revoked.Contains(fingerprint)
            && ca.Issued(certificate);
    }
}

/// <summary>
/// Connection pools to agents, one per expected certificate fingerprint. A TLS check runs only when a connection is
/// made, so a pool shared between identities would let a connection made for one certificate serve a request that
/// expects another; keyed by fingerprint, a re-enrolled host gets a fresh pool and a revoked one is closed at once.
/// </summary>
public sealed class AgentConnections : IDisposable
{
    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _pools = new(StringComparer.OrdinalIgnoreCase);
    private readonly AgentCertificateValidator _validator;

    public AgentConnections(AgentCertificateValidator validator, RevokedCertificates revoked)
    {
        ArgumentNullException.ThrowIfNull(revoked);
        _validator = validator;
        revoked.Revoked += Forget;
    }

    public HttpMessageInvoker For(string fingerprint) => _pools.GetOrAdd(fingerprint, Create);

    /// <summary>Closes the pool of a certificate that must not be trusted any more.</summary>
    public void Forget(string fingerprint)
    {
        if (_pools.TryRemove(fingerprint, out var pool))
        {
            pool.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var pool in _pools.Values)
        {
            pool.Dispose();
        }

        _pools.Clear();
    }

    private HttpMessageInvoker Create(string fingerprint)
    {
        var client = _validator.Ca.ClientCertificate;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            MaxConnectionsPerServer = 4,
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                ClientCertificates = [client],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => client,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return _validator.Validate(fingerprint, presented);
                },
            },
        };
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }
}

/// <summary>Fingerprints of revoked agent certificates, loaded at start and updated when an admin revokes one.</summary>
public sealed class RevokedCertificates
{
    private volatile HashSet<string> _fingerprints = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Raised with the fingerprint of each newly revoked certificate.</summary>
    public event Action<string>? Revoked;

    public bool Contains(string fingerprint) => _fingerprints.Contains(fingerprint);

    public void Replace(IEnumerable<string> fingerprints) => _fingerprints = new(fingerprints, StringComparer.OrdinalIgnoreCase);

    public void Add(string fingerprint)
    {
        _fingerprints = new(_fingerprints.Append(fingerprint), StringComparer.OrdinalIgnoreCase);
        Revoked?.Invoke(fingerprint);
    }
}
