using System.Collections.Frozen;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using PatchPortal.Agent.Configuration;

namespace PatchPortal.Agent.Security;

public static partial class AgentSecurityExtensions
{
    /// <summary>The connection item under which the TLS handshake leaves the caller's verified identity.</summary>
    public const string ClientIdentityItem = "patch-agent.client-identity";

    /// <summary>
    /// Kestrel with HTTPS only: the source address is checked before TLS (a refused peer gets a closed socket),
    /// the client certificate during the handshake (a refused one gets a failed handshake), both logged.
    /// </summary>
    public static WebApplicationBuilder AddAgentSecurity(this WebApplicationBuilder builder, AgentOptions options, TlsMaterial tls, ClientRevocation revocation)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(revocation);

        var networks = new NetworkAllowList(options.EffectiveAllowedNetworks.Select(n => CidrRange.TryParse(n, out var r) ? r : throw new AgentConfigurationException("Agent:AllowedNetworks", n)).ToList());
        var policy = new ClientCertificatePolicy(tls.ClientCa, options.AllowedClients, TimeProvider.System, revocation);
        builder.Services.AddSingleton(tls);
        builder.Services.AddSingleton(revocation);
        builder.Services.AddHostedService<CrlRefresher>();
        builder.Services.AddSingleton(networks);
        builder.Services.AddSingleton(policy);

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var logger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("PatchPortal.Agent.Security");
            revocation.UseLogger(logger);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = options.Limits.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = options.Limits.MaxConnections;
            kestrel.Limits.MaxRequestBodySize = options.Limits.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = options.Limits.MaxRequestHeadersBytes;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(options.Limits.RequestHeadersTimeoutSeconds);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);

            // One certificate context for every connection: .NET keeps the OpenSSL context (SSL_CTX) on it, so handshakes
            // share one context and its session cache, and clients resume sessions. It does so only when no
            // CipherSuitesPolicy is set, so the suite policy is enforced once the handshake is done (RefuseWeakCipherSuite).
            var certificateContext = SslStreamCertificateContext.Create(tls.ServerCertificate, additionalCertificates: null, offline: true);
            foreach (var endpoint in ListenEndpoints.Parse(options.Urls))
            {
                kestrel.Listen(endpoint, listen =>
                {
                    listen.Use(next => connection => RefuseOutsideAllowList(connection, next, networks, logger));
                    listen.Use(next => connection => RefuseWithoutTlsHandshake(connection, next, TimeSpan.FromSeconds(options.Limits.HandshakeTimeoutSeconds), logger));
                    listen.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        HandshakeTimeout = TimeSpan.FromSeconds(options.Limits.HandshakeTimeoutSeconds),
                        OnConnection = handshake => ValueTask.FromResult(ServerOptions(handshake.Connection, certificateContext, policy, options.Health.AllowAnonymous, logger)),
                    });
                    listen.Use(next => connection => RefuseWeakCipherSuite(connection, next, logger));
                });
            }
        });

        return builder;
    }

    private static Task RefuseOutsideAllowList(ConnectionContext connection, ConnectionDelegate next, NetworkAllowList networks, ILogger logger)
    {
        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (networks.IsAllowed(remote))
        {
            return next(connection);
        }

        LogAddressRefused(logger, remote?.ToString() ?? "unknown");
        connection.Abort(new ConnectionAbortedException("source address not in Agent:AllowedNetworks"));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Peeks at the first byte without consuming it: a TLS connection starts with a handshake record (0x16). Plain
    /// HTTP (or anything else) to the TLS port, and a peer that sends nothing within <c>Agent:Limits:HandshakeTimeoutSeconds</c>, are closed here and logged, instead of
    /// failing inside the TLS layer where Kestrel logs at Debug only.
    /// </summary>
    private static async Task RefuseWithoutTlsHandshake(ConnectionContext connection, ConnectionDelegate next, TimeSpan firstByteTimeout, ILogger logger)
    {
        const byte TlsHandshakeRecord = 0x16;
        var peer = connection.RemoteEndPoint?.ToString() ?? "unknown";
        var input = connection.Transport.Input;
        System.IO.Pipelines.ReadResult read;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            timeout.CancelAfter(firstByteTimeout);
            try
            {
                read = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                if (!connection.ConnectionClosed.IsCancellationRequested)
                {
                    LogSilentPeer(logger, peer, (int)firstByteTimeout.TotalSeconds);
                }

                connection.Abort(new ConnectionAbortedException("no TLS handshake"));
                return;
            }
        }

        if (read.Buffer.IsEmpty)
        {
            input.AdvanceTo(read.Buffer.Start);
            return;
        }

        var first = read.Buffer.FirstSpan[0];
        input.AdvanceTo(read.Buffer.Start, read.Buffer.Start);
        if (first != TlsHandshakeRecord)
        {
            LogNotTls(logger, peer, first < 0x20 || first > 0x7e ? $"0x{first:x2}" : ((char)first).ToString());
            connection.Abort(new ConnectionAbortedException("not TLS"));
            return;
        }

        await next(connection);
    }

    /// <summary>
    /// Closes a connection whose handshake settled on a suite outside <see cref="StrongCipherSuites"/> before it carries
    /// a request: TLS 1.3 suites are all AEAD, but OpenSSL's TLS 1.2 defaults also hold CBC suites, which a client that
    /// offers nothing better would get.
    /// </summary>
    private static Task RefuseWeakCipherSuite(ConnectionContext connection, ConnectionDelegate next, ILogger logger)
    {
        var suite = connection.Features.Get<ITlsHandshakeFeature>()?.NegotiatedCipherSuite;
        if (suite is { } negotiated && StrongCipherSuites.Contains(negotiated))
        {
            return next(connection);
        }

        LogWeakCipherSuite(logger, connection.RemoteEndPoint?.ToString() ?? "unknown", suite?.ToString() ?? "unknown");
        connection.Abort(new ConnectionAbortedException("cipher suite not allowed"));
        return Task.CompletedTask;
    }

    private static SslServerAuthenticationOptions ServerOptions(ConnectionContext connection, SslStreamCertificateContext certificateContext, ClientCertificatePolicy policy, bool allowAnonymous, ILogger logger)
    {
        var peer = connection.RemoteEndPoint?.ToString() ?? "unknown";
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificateContext,
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            AllowRenegotiation = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null && allowAnonymous)
                {
                    // Only GET /health is served without a certificate; the request pipeline enforces that.
                    return true;
                }

                using var presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                var verdict = policy.Evaluate(presented);
                if (!verdict.Allowed)
                {
                    LogCertificateRefused(logger, peer, verdict.Identity ?? "none", verdict.Reason);
                    return false;
                }

                connection.Items[ClientIdentityItem] = verdict.Identity;
                return true;
            },
        };
    }

    /// <summary>TLS 1.3 suites and TLS 1.2 forward-secret AEAD suites only.</summary>
    internal static readonly FrozenSet<TlsCipherSuite> StrongCipherSuites = FrozenSet.Create(
    [
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Refused connection from {Address}: source address not in Agent:AllowedNetworks")]
    private static partial void LogAddressRefused(ILogger logger, string address);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Refused connection from {Peer}: not a TLS handshake (first byte '{FirstByte}'; plain HTTP to the HTTPS port?)")]
    private static partial void LogNotTls(ILogger logger, string peer, string firstByte);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Closed connection from {Peer}: no TLS handshake within {Seconds} s")]
    private static partial void LogSilentPeer(ILogger logger, string peer, int seconds);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Refused connection from {Peer}: it negotiated {CipherSuite}, not a forward-secret AEAD suite (Agent TLS policy)")]
    private static partial void LogWeakCipherSuite(ILogger logger, string peer, string cipherSuite);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Refused TLS client {Peer} ({Identity}): {Reason}")]
    private static partial void LogCertificateRefused(ILogger logger, string peer, string identity, string reason);
}
