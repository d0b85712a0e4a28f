using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Contracts;

namespace PatchPortal.Agent.Security;

/// <summary>
/// <c>patch-agent enroll --portal URL --token TOKEN [--ca-fingerprint sha256:…]</c>: makes the agent's key on this
/// host, sends a CSR with the one-time token, stores the returned certificate and CA, and allows the portal's client
/// identity. The private key never leaves the host.
/// </summary>
public static class EnrollCommand
{
    public const string Usage = "usage: patch-agent enroll --portal URL --token TOKEN [--ca-fingerprint sha256:HEX] [--hostname NAME] [--port N] [--config FILE]";

    public sealed record Arguments(Uri Portal, string Token, string? CaFingerprint, string Hostname, int Port, string[] ConfigArgs);

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (Parse(args, out var error) is not { } parsed)
        {
            await stderr.WriteLineAsync("patch-agent enroll: " + error + "\n" + Usage);
            return 2;
        }

        var configuration = new ConfigurationManager();
        AgentConfiguration.Load(configuration, parsed.ConfigArgs);
        var options = configuration.GetSection(AgentOptions.Section).Get<AgentOptions>() ?? new AgentOptions();
        var configPath = AgentConfiguration.ConfigPath(configuration);

        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var csr = CreateSigningRequest(key, parsed.Hostname);
            var response = await SendAsync(parsed, csr);
            using var certificate = VerifyResponse(response, key, parsed.CaFingerprint);

            WriteKey(options.Tls.Key, key);
            WriteAtomically(options.Tls.Certificate, response.CertificatePem, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            WriteAtomically(options.Tls.ClientCa, response.CaPem, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            AllowClient(configPath, response.PortalClientIdentity);
            var crlPath = StoreRevocationList(configPath, options, response);

            await stdout.WriteLineAsync($"Enrolled {parsed.Hostname}: certificate {certificate.Subject}, valid until {certificate.NotAfter.ToUniversalTime():u}.");
            if (crlPath is not null)
            {
                await stdout.WriteLineAsync($"Wrote the portal's CRL to {crlPath}; the agent refreshes it from {response.CrlUrl}.");
            }

            await stdout.WriteLineAsync($"Wrote {options.Tls.Key} (private key, mode 600), {options.Tls.Certificate}, {options.Tls.ClientCa}; allowed client '{response.PortalClientIdentity}' in {configPath}.");
            await stdout.WriteLineAsync("Restart the agent to serve with it: systemctl restart patch-agent");
            return 0;
        }
        catch (EnrollmentException ex)
        {
            await stderr.WriteLineAsync("patch-agent enroll: " + ex.Message);
            return 1;
        }
        catch (HttpRequestException ex)
        {
            await stderr.WriteLineAsync($"patch-agent enroll: cannot reach the portal at {parsed.Portal}: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync("patch-agent enroll: cannot write the agent's files: " + ex.Message);
            return 1;
        }
    }

    public static Arguments? Parse(string[] args, out string? error)
    {
        ArgumentNullException.ThrowIfNull(args);
        error = null;
        string? portal = null, token = null, pin = null, hostname = null, port = null;
        var configArgs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value";
                return null;
            }

            var value = args[++i];
            switch (name)
            {
                case "--portal": portal = value; break;
                case "--token": token = value; break;
                case "--ca-fingerprint": pin = value; break;
                case "--hostname": hostname = value; break;
                case "--port": port = value; break;
                case "--config":
                    configArgs.Add(name);
                    configArgs.Add(value);
                    break;
                default:
                    if (name.StartsWith("--Agent:", StringComparison.Ordinal))
                    {
                        configArgs.Add(name + "=" + value);
                        break;
                    }

                    error = $"unknown option {name}";
                    return null;
            }
        }

        if (!Uri.TryCreate(portal, UriKind.Absolute, out var portalUri) || (portalUri.Scheme != Uri.UriSchemeHttps && !(portalUri.Scheme == Uri.UriSchemeHttp && portalUri.IsLoopback)))
        {
            error = "--portal must be the portal's https:// URL (http:// only on loopback)";
            return null;
        }

        if (string.IsNullOrWhiteSpace(token) || token.Length > 512)
        {
            error = "--token must be the enrolment token the portal showed";
            return null;
        }

        string? fingerprint = null;
        if (pin is not null && !ClientCertificatePolicy.TryParseFingerprint(pin, out fingerprint))
        {
            error = "--ca-fingerprint must be sha256: followed by 64 hex digits";
            return null;
        }

        var portNumber = 12443;
        if (port is not null && (!int.TryParse(port, System.Globalization.CultureInfo.InvariantCulture, out portNumber) || portNumber is < 1 or > 65535))
        {
            error = "--port must be from 1 to 65535";
            return null;
        }

        hostname ??= Environment.MachineName;
        if (Uri.CheckHostName(hostname) != UriHostNameType.Dns)
        {
            error = "--hostname must be a DNS name";
            return null;
        }

        return new Arguments(portalUri, token, fingerprint, hostname, portNumber, [.. configArgs]);
    }

    public static string CreateSigningRequest(ECDsa key, string hostname)
    {
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + hostname), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(hostname);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSigningRequestPem();
    }

    private static async Task<EnrollmentResponse> SendAsync(Arguments args, string csr)
    {
        using var handler = new SocketsHttpHandler();
        if (args.CaFingerprint is { } pin)
        {
            // Trust the portal's TLS certificate if it is publicly valid or chains to the pinned CA.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, chain, errors) =>
                errors == SslPolicyErrors.None || (chain is not null && chain.ChainElements.Any(e => ClientCertificatePolicy.Fingerprint(e.Certificate) == pin));
        }

        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        var request = new EnrollmentRequest { Token = args.Token, CsrPem = csr, Hostname = args.Hostname, AgentPort = args.Port };
        using var response = await http.PostAsJsonAsync(new Uri(args.Portal, "api/v1/enroll"), request, Json.AgentWireJson.TypeInfo<EnrollmentRequest>());
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new EnrollmentException($"the portal refused enrolment ({(int)response.StatusCode}): {Problem(body)}");
        }

        try
        {
            return await response.Content.ReadFromJsonAsync(Json.AgentWireJson.TypeInfo<EnrollmentResponse>())
                ?? throw new EnrollmentException("the portal's answer was empty");
        }
        catch (JsonException ex)
        {
            throw new EnrollmentException("the portal's answer is not an enrolment response: " + ex.Message);
        }
    }

    /// <summary>The certificate must be for our key and chain to the CA sent with it, and that CA must match the pin.</summary>
    public static X509Certificate2 VerifyResponse(EnrollmentResponse response, ECDsa key, string? caFingerprint)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(key);
        X509Certificate2 certificate;
        var ca = new X509Certificate2Collection();
        try
        {
            certificate = X509Certificate2.CreateFromPem(response.CertificatePem);
            ca.ImportFromPem(response.CaPem);
        }
        catch (CryptographicException ex)
        {
            throw new EnrollmentException("the portal sent an unreadable certificate: " + ex.Message);
        }

        if (ca.Count == 0)
        {
            throw new EnrollmentException("the portal sent no CA certificate");
        }

        if (caFingerprint is not null && !ca.Any(c => ClientCertificatePolicy.Fingerprint(c) == caFingerprint))
        {
            throw new EnrollmentException($"the portal's CA does not match --ca-fingerprint sha256:{caFingerprint}");
        }

        using var publicKey = certificate.GetECDsaPublicKey();
        if (publicKey is null || !publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new EnrollmentException("the certificate the portal sent is not for this host's key");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(certificate))
        {
            throw new EnrollmentException("the certificate the portal sent does not chain to its CA");
        }

        return certificate;
    }

    /// <summary>Adds the portal's identity to <c>Agent:AllowedClients</c> in the JSON file, keeping everything else.</summary>
    public static void AllowClient(string configPath, string identity)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(identity);
        UpdateConfig(configPath, agent =>
        {
            if (agent["AllowedClients"] is not JsonArray allowed)
            {
                agent["AllowedClients"] = allowed = [];
            }

            if (!allowed.Any(n => n?.GetValue<string>() == identity))
            {
                allowed.Add((JsonNode?)JsonValue.Create(identity));
            }
        });
    }

    /// <summary>
    /// Stores the CRL sent with the certificate (checked against the CA) as <c>Agent:Tls:Crl</c> and records where newer
    /// ones come from (<c>Agent:Tls:CrlUrl</c>). Returns the file written, or null from a portal that sent none.
    /// </summary>
    public static string? StoreRevocationList(string configPath, AgentOptions options, EnrollmentResponse response)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(response);
        if (response.CrlPem is not { Length: > 0 } crlPem)
        {
            return null;
        }

        var ca = new X509Certificate2Collection();
        ca.ImportFromPem(response.CaPem);
        try
        {
            _ = CertificateRevocationList.Load(System.Text.Encoding.ASCII.GetBytes(crlPem), ca);
        }
        catch (CrlException ex)
        {
            throw new EnrollmentException("the portal sent an unusable CRL: " + ex.Message);
        }

        var crlPath = options.Tls.Crl is { Length: > 0 } configured
            ? configured
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.Tls.ClientCa))!, "crl.pem");
        WriteAtomically(crlPath, crlPem, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        UpdateConfig(configPath, agent =>
        {
            if (agent["Tls"] is not JsonObject tls)
            {
                agent["Tls"] = tls = [];
            }

            tls["Crl"] = crlPath;
            if (response.CrlUrl is { Length: > 0 } url)
            {
                tls["CrlUrl"] = url;
            }
        });
        return crlPath;
    }

    private static void UpdateConfig(string configPath, Action<JsonObject> change)
    {
        JsonObject root;
        try
        {
            root = File.Exists(configPath) ? JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject ?? [] : [];
        }
        catch (JsonException ex)
        {
            throw new EnrollmentException($"{configPath} is not valid JSON: {ex.Message}");
        }

        if (root["Agent"] is not JsonObject agent)
        {
            root["Agent"] = agent = [];
        }

        change(agent);
        WriteAtomically(configPath, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
    }

    private static void WriteKey(string path, ECDsa key) =>
        WriteAtomically(path, key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);

    /// <summary>Writes a temp file with its final mode already set, then renames it over the target.</summary>
    private static void WriteAtomically(string path, string content, UnixFileMode mode)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.SetUnixFileMode(temp, mode);
        File.Move(temp, path, overwrite: true);
    }

    private static string Problem(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            return root.TryGetProperty("detail", out var detail) ? detail.GetString() ?? body
                : root.TryGetProperty("title", out var title) ? title.GetString() ?? body
                : body;
        }
        catch (JsonException)
        {
            return body.Length > 300 ? body[..300] : body;
        }
    }
}

public sealed class EnrollmentException(string message) : Exception(message);
