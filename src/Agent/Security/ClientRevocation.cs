using System.Security.Cryptography.X509Certificates;

namespace PatchPortal.Agent.Security;

/// <summary>
/// The CRL named by <c>Agent:Tls:Crl</c>: loaded at start (a bad one stops the agent), re-read whenever the file
/// changes (checked on each handshake: one stat), and replaced by <see cref="CrlRefresher"/> when a newer one is
/// fetched from the portal. A file that turns bad later is logged and the last good list stays in force.
/// </summary>
public sealed partial class ClientRevocation
{
    private readonly string? _path;
    private readonly X509Certificate2Collection _issuers;
    private ILogger _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    private readonly Lock _gate = new();
    private (DateTime Written, long Length) _stamp;
    private CertificateRevocationList? _current;

    /// <exception cref="AgentConfigurationException">The configured file is missing or no CRL of the client CA.</exception>
    public ClientRevocation(string? path, X509Certificate2Collection issuers)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        _path = string.IsNullOrWhiteSpace(path) ? null : path;
        _issuers = issuers;
        if (_path is null)
        {
            return;
        }

        if (!File.Exists(_path))
        {
            throw new AgentConfigurationException("Agent:Tls:Crl", $"file '{_path}' does not exist");
        }

        try
        {
            _stamp = Stamp(_path);
            _current = CertificateRevocationList.Load(File.ReadAllBytes(_path), issuers);
        }
        catch (Exception ex) when (ex is CrlException or IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException("Agent:Tls:Crl", $"'{_path}' cannot be used: {ex.Message}");
        }
    }

    /// <summary>Gives the list its logger once the host has one (it is loaded before, so bad files stop the start).</summary>
    public void UseLogger(ILogger logger)
    {
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        if (_current is { } current)
        {
            LogCrlLoaded(_logger, _path!, current.Number, current.Count, current.ThisUpdate);
        }
    }

    public string? Path => _path;

    /// <summary>The list in force, or null when no CRL is configured.</summary>
    public CertificateRevocationList? Current
    {
        get
        {
            RefreshIfChanged();
            return _current;
        }
    }

    public bool IsRevoked(X509Certificate2 certificate) => Current?.IsRevoked(certificate) == true;

    /// <summary>
    /// Verifies <paramref name="bytes"/> as a CRL of the client CA no older than the one in force, writes it over the
    /// configured file and uses it. Returns false (and changes nothing) when it is not newer.
    /// </summary>
    /// <exception cref="CrlException">The CRL is unreadable, not the CA's, or older than the one in force.</exception>
    public bool Replace(ReadOnlySpan<byte> bytes)
    {
        if (_path is null)
        {
            throw new InvalidOperationException("no Agent:Tls:Crl file is configured");
        }

        var candidate = CertificateRevocationList.Load(bytes, _issuers);
        lock (_gate)
        {
            if (_current is { } current && (candidate.Number < current.Number || (candidate.Number == current.Number && candidate.ThisUpdate <= current.ThisUpdate)))
            {
                if (candidate.Number < current.Number)
                {
                    throw new CrlException($"CRL number {candidate.Number} is older than the one in force ({current.Number})");
                }

                return false;
            }

            var temp = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path))!, $".{System.IO.Path.GetFileName(_path)}.tmp");
            File.WriteAllBytes(temp, bytes.ToArray());
            File.Move(temp, _path, overwrite: true);
            _stamp = Stamp(_path);
            _current = candidate;
        }

        LogCrlLoaded(_logger, _path, candidate.Number, candidate.Count, candidate.ThisUpdate);
        return true;
    }

    private void RefreshIfChanged()
    {
        if (_path is null)
        {
            return;
        }

        (DateTime, long) stamp;
        try
        {
            stamp = Stamp(_path);
        }
        catch (IOException)
        {
            return;
        }

        if (stamp == _stamp)
        {
            return;
        }

        lock (_gate)
        {
            if (stamp == _stamp)
            {
                return;
            }

            _stamp = stamp;
            try
            {
                var loaded = CertificateRevocationList.Load(File.ReadAllBytes(_path), _issuers);
                _current = loaded;
                LogCrlLoaded(_logger, _path, loaded.Number, loaded.Count, loaded.ThisUpdate);
            }
            catch (Exception ex) when (ex is CrlException or IOException or UnauthorizedAccessException)
            {
                LogCrlRejected(_logger, _path, ex.Message);
            }
        }
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new IOException($"'{path}' is gone");
        }

        return (info.LastWriteTimeUtc, info.Length);
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Using the CRL {Path} (number {Number}, {Count} revoked, issued {ThisUpdate:u})")]
    private static partial void LogCrlLoaded(ILogger logger, string path, System.Numerics.BigInteger number, int count, DateTimeOffset thisUpdate);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Error, Message = "Ignored the changed CRL {Path}, keeping the previous one: {Reason}")]
    private static partial void LogCrlRejected(ILogger logger, string path, string reason);
}
