using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace PatchPortal.Bench;

/// <summary>How the load client uses its connections.</summary>
public enum ConnectionMode
{
    /// <summary>Each connection is opened once and carries request after request (HTTP/1.1 keep-alive).</summary>
    KeepAlive,

    /// <summary>Every request opens a new TCP connection and does a TLS handshake; the session cache decides resumption.</summary>
    NewConnection,
}

public sealed record LoadSpec(IPEndPoint Target, string Path, int Connections, TimeSpan Duration, ConnectionMode Mode, TimeSpan Warmup);

/// <summary>What one load run measured. Latencies are per request, from writing the request to the last body byte.</summary>
public sealed record LoadResult(long Requests, long Errors, long Non200, double Seconds, double P50Ms, double P99Ms, double MaxMs, long BodyBytes, string? FirstError)
{
    public double Rps => Seconds > 0 ? Requests / Seconds : 0;
}

/// <summary>
/// A purpose-built closed-loop HTTP/1.1 load client over TLS with a client certificate. Debian's <c>wrk</c> and
/// <c>h2load</c> cannot present a client certificate (neither has an option for one), and both servers here require one.
/// Each connection sends a request, reads the whole answer (Content-Length or chunked), records the latency and sends
/// the next; the same client measures the agent and nginx, so their ratio is fair.
/// </summary>
public sealed class LoadClient(X509Certificate2 clientCertificate, X509Certificate2 expectedServer)
{
    private static readonly TimeSpan MaxStretch = TimeSpan.FromSeconds(30);

    public async Task<LoadResult> RunAsync(LoadSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var request = Encoding.ASCII.GetBytes($"GET {spec.Path} HTTP/1.1\r\nHost: {spec.Target}\r\nAccept: application/json\r\n"
            + (spec.Mode == ConnectionMode.NewConnection ? "Connection: close\r\n" : string.Empty) + "\r\n");
        var workers = new Worker[spec.Connections];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new Worker(this, spec, request);
        }

        // Keep-alive connections are all opened first, so the measured window holds no handshakes.
        if (spec.Mode == ConnectionMode.KeepAlive)
        {
            await Parallel.ForEachAsync(workers, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
                async (w, ct) => await w.ConnectAsync(ct));
        }

        var state = new RunState();
        var tasks = workers.Select(w => Task.Run(() => w.LoopAsync(state, cancellationToken), cancellationToken)).ToArray();
        await Task.Delay(spec.Warmup, cancellationToken);
        state.Recording = true;
        var clock = Stopwatch.StartNew();
        await Task.Delay(spec.Duration, cancellationToken);
        // A window shorter than one request (a smoke run's, full handshakes on a busy machine) would measure nothing:
        // it is stretched until something was answered, and the rate uses the time actually measured.
        while (workers.Sum(w => w.Latencies.Count + w.Errors) == 0 && clock.Elapsed < spec.Duration + MaxStretch)
        {
            await Task.Delay(20, cancellationToken);
        }

        state.Recording = false;
        var seconds = clock.Elapsed.TotalSeconds;
        state.Stop = true;
        await Task.WhenAll(tasks);

        var latencies = workers.SelectMany(w => w.Latencies).ToArray();
        Array.Sort(latencies);
        var errors = workers.Sum(w => w.Errors);
        return new LoadResult(
            latencies.Length, errors, workers.Sum(w => w.Non200), seconds,
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Length > 0 ? latencies[^1] / 1000.0 : 0,
            workers.Select(w => w.LastBodyBytes).FirstOrDefault(b => b > 0),
            workers.Select(w => w.FirstError).FirstOrDefault(e => e is not null));
    }

    /// <summary>One GET over a fresh connection; the answer's status and body (used to copy bodies for nginx).</summary>
    public Task<(int Status, byte[] Body)> GetOnceAsync(IPEndPoint target, string path, CancellationToken cancellationToken) =>
        SendOnceAsync(target, "GET", path, null, cancellationToken);

    /// <summary>One request over a fresh connection, with an optional JSON body.</summary>
    public async Task<(int Status, byte[] Body)> SendOnceAsync(IPEndPoint target, string method, string path, string? json, CancellationToken cancellationToken)
    {
        var content = json is null ? string.Empty : $"Content-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(json)}\r\n";
        var request = Encoding.UTF8.GetBytes($"{method} {path} HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n{content}\r\n{json}");
        var spec = new LoadSpec(target, path, 1, TimeSpan.Zero, ConnectionMode.NewConnection, TimeSpan.Zero);
        var worker = new Worker(this, spec, request);
        try
        {
            await worker.ConnectAsync(cancellationToken);
            return await worker.ExchangeAsync(cancellationToken);
        }
        finally
        {
            worker.Close();
        }
    }

    private static double Percentile(long[] sortedMicros, double p) =>
        sortedMicros.Length == 0 ? 0 : sortedMicros[Math.Min(sortedMicros.Length - 1, (int)Math.Ceiling(p * sortedMicros.Length) - 1)] / 1000.0;

    private SslClientAuthenticationOptions TlsOptions() => new()
    {
        TargetHost = "bench-agent",
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        ClientCertificates = [clientCertificate],
        LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate,
        // The bench's own CA issued the one server certificate both servers present: pinning it is the check.
        RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == expectedServer.Thumbprint,
    };

    private sealed class RunState
    {
        public volatile bool Recording;
        public volatile bool Stop;
    }

    private sealed class Worker(LoadClient owner, LoadSpec spec, byte[] request)
    {
        private byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;
        private Socket? _socket;
        private SslStream? _ssl;

        public List<long> Latencies { get; } = [];

        public long Errors { get; private set; }

        public long Non200 { get; private set; }

        public long LastBodyBytes { get; private set; }

        public string? FirstError { get; private set; }

        public async Task ConnectAsync(CancellationToken cancellationToken)
        {
            Close();
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(spec.Target, cancellationToken);
                var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
                await ssl.AuthenticateAsClientAsync(owner.TlsOptions(), cancellationToken);
                _socket = socket;
                _ssl = ssl;
                _start = _end = 0;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        public void Close()
        {
            _ssl?.Dispose();
            _socket?.Dispose();
            _ssl = null;
            _socket = null;
        }

        public async Task LoopAsync(RunState state, CancellationToken cancellationToken)
        {
            try
            {
                while (!state.Stop && !cancellationToken.IsCancellationRequested)
                {
                    var began = Stopwatch.GetTimestamp();
                    try
                    {
                        if (_ssl is null || spec.Mode == ConnectionMode.NewConnection)
                        {
                            await ConnectAsync(cancellationToken);
                        }

                        var (status, _) = await ExchangeAsync(cancellationToken);
                        if (spec.Mode == ConnectionMode.NewConnection)
                        {
                            Close();
                        }

                        if (!state.Recording)
                        {
                            continue;
                        }

                        if (status != 200)
                        {
                            Non200++;
                        }

                        Latencies.Add((long)Stopwatch.GetElapsedTime(began).TotalMicroseconds);
                    }
                    catch (Exception ex) when (ex is IOException or SocketException or AuthenticationException or InvalidDataException)
                    {
                        Close();
                        if (state.Recording)
                        {
                            Errors++;
                            FirstError ??= ex.GetType().Name + ": " + ex.Message;
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            finally
            {
                Close();
            }
        }

        public async Task<(int Status, byte[] Body)> ExchangeAsync(CancellationToken cancellationToken)
        {
            var ssl = _ssl ?? throw new InvalidOperationException("not connected");
            await ssl.WriteAsync(request, cancellationToken);

            // Status line and headers.
            int headerEnd;
            while ((headerEnd = IndexOf(_buffer.AsSpan(_start, _end - _start), "\r\n\r\n"u8)) < 0)
            {
                await FillAsync(ssl, cancellationToken);
            }

            var head = Encoding.ASCII.GetString(_buffer, _start, headerEnd);
            _start += headerEnd + 4;
            var lines = head.Split("\r\n");
            var statusParts = lines[0].Split(' ', 3);
            if (statusParts.Length < 2 || !int.TryParse(statusParts[1], out var status))
            {
                throw new InvalidDataException("not an HTTP status line: " + lines[0]);
            }

            long contentLength = -1;
            var chunked = false;
            foreach (var line in lines.AsSpan(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    continue;
                }

                var name = line.AsSpan(0, colon).Trim();
                var value = line.AsSpan(colon + 1).Trim();
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    contentLength = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                {
                    chunked = true;
                }
            }

            var body = new MemoryStream();
            if (chunked)
            {
                while (true)
                {
                    int lineEnd;
                    while ((lineEnd = IndexOf(_buffer.AsSpan(_start, _end - _start), "\r\n"u8)) < 0)
                    {
                        await FillAsync(ssl, cancellationToken);
                    }

                    var sizeText = Encoding.ASCII.GetString(_buffer, _start, lineEnd).Split(';')[0];
                    _start += lineEnd + 2;
                    var size = Convert.ToInt32(sizeText, 16);
                    while (_end - _start < size + 2)
                    {
                        await FillAsync(ssl, cancellationToken);
                    }

                    body.Write(_buffer, _start, size);
                    _start += size + 2;
                    if (size == 0)
                    {
                        break;
                    }
                }
            }
            else if (contentLength >= 0)
            {
                while (_end - _start < contentLength)
                {
                    await FillAsync(ssl, cancellationToken);
                }

                body.Write(_buffer, _start, (int)contentLength);
                _start += (int)contentLength;
            }
            else
            {
                throw new InvalidDataException("an answer without Content-Length or chunked encoding");
            }

            LastBodyBytes = body.Length;
            return (status, body.ToArray());
        }

        private async Task FillAsync(SslStream ssl, CancellationToken cancellationToken)
        {
            if (_start > 0 && _start == _end)
            {
                _start = _end = 0;
            }

            if (_end == _buffer.Length)
            {
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                else
                {
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }
            }

            var read = await ssl.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                throw new IOException("the server closed the connection mid-answer");
            }

            _end += read;
        }

        private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);
    }
}
