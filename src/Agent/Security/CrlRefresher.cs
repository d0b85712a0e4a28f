using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using PatchPortal.Agent.Configuration;

namespace PatchPortal.Agent.Security;

/// <summary>
/// Fetches the portal's CRL from <c>Agent:Tls:CrlUrl</c> at start and every <c>Agent:Tls:CrlRefreshMinutes</c>.
/// The CRL is signed by the CA, so the transport only has to deliver it: a fetched list that is not the CA's or is
/// older than the one in force is refused and logged, and a failed fetch keeps the last good list.
/// </summary>
public sealed partial class CrlRefresher(ClientRevocation revocation, TlsMaterial tls, Microsoft.Extensions.Options.IOptions<AgentOptions> settings, TimeProvider time, ILogger<CrlRefresher> logger) : BackgroundService
{
    public const long MaxCrlBytes = 16 * 1024 * 1024;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = settings.Value;
        if (options.Tls.CrlUrl is not { Length: > 0 } url || revocation.Path is null)
        {
            return;
        }

        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            errors == SslPolicyErrors.None || (certificate is not null && ChainsToClientCa(certificate));
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30), MaxResponseContentBufferSize = MaxCrlBytes };
        var uri = new Uri(url);
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Tls.CrlRefreshMinutes), time);
        do
        {
            await RefreshOnceAsync(http, uri, stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RefreshOnceAsync(HttpClient http, Uri uri, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await http.GetByteArrayAsync(uri, cancellationToken);
            if (!revocation.Replace(bytes))
            {
                LogCrlUnchanged(logger, uri);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or CrlException or IOException or UnauthorizedAccessException && !cancellationToken.IsCancellationRequested)
        {
            LogCrlFetchFailed(logger, uri, ex.Message);
        }
    }

    private bool ChainsToClientCa(X509Certificate certificate)
    {
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(tls.ClientCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }

    [LoggerMessage(EventId = 1012, Level = LogLevel.Debug, Message = "CRL at {Url} is not newer than the one in force")]
    private static partial void LogCrlUnchanged(ILogger logger, Uri url);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "Could not refresh the CRL from {Url}, keeping the one in force: {Reason}")]
    private static partial void LogCrlFetchFailed(ILogger logger, Uri url, string reason);
}
