using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatchPortal.Agent.Security;

/// <summary>A configuration value that is wrong, with the key that holds it.</summary>
public sealed class AgentConfigurationException(string key, string message) : Exception($"{key}: {message}")
{
    public string Key { get; } = key;
}

/// <summary>The agent's server certificate (with its key) and the CA that client certificates must chain to.</summary>
public sealed class TlsMaterial : IDisposable
{
    private TlsMaterial(X509Certificate2 serverCertificate, X509Certificate2Collection clientCa)
    {
        ServerCertificate = serverCertificate;
        ClientCa = clientCa;
    }

    public X509Certificate2 ServerCertificate { get; }

    public X509Certificate2Collection ClientCa { get; }

    public DateTimeOffset ServerCertificateExpiresAt => new(ServerCertificate.NotAfter.ToUniversalTime());

    /// <summary>Loads and checks the PEM files named by <c>Agent:Tls:*</c>; throws naming the key at fault.</summary>
    public static TlsMaterial Load(string certificatePath, string keyPath, string clientCaPath)
    {
        RequireReadable("Agent:Tls:Certificate", certificatePath);
        RequireReadable("Agent:Tls:Key", keyPath);
        RequireReadable("Agent:Tls:ClientCa", clientCaPath);
        RequirePrivate("Agent:Tls:Key", keyPath);

        X509Certificate2 server;
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);

            // Kestrel on Linux wants a certificate whose key it can use directly; an export round trip gives it one.
            server = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException ex)
        {
            throw new AgentConfigurationException("Agent:Tls:Certificate", $"'{certificatePath}' with key '{keyPath}' cannot be loaded: {ex.Message}");
        }

        if (!server.HasPrivateKey)
        {
            throw new AgentConfigurationException("Agent:Tls:Key", $"'{keyPath}' holds no private key for '{certificatePath}'");
        }

        if (server.NotAfter.ToUniversalTime() < DateTime.UtcNow)
        {
            throw new AgentConfigurationException("Agent:Tls:Certificate", $"'{certificatePath}' expired at {server.NotAfter.ToUniversalTime():O}");
        }

        var ca = new X509Certificate2Collection();
        try
        {
            ca.ImportFromPemFile(clientCaPath);
        }
        catch (CryptographicException ex)
        {
            throw new AgentConfigurationException("Agent:Tls:ClientCa", $"'{clientCaPath}' cannot be read as PEM certificates: {ex.Message}");
        }

        if (ca.Count == 0)
        {
            throw new AgentConfigurationException("Agent:Tls:ClientCa", $"'{clientCaPath}' holds no certificate");
        }

        return new TlsMaterial(server, ca);
    }

    public void Dispose()
    {
        ServerCertificate.Dispose();
        foreach (var certificate in ClientCa)
        {
            certificate.Dispose();
        }
    }

    private static void RequireReadable(string key, string path)
    {
        if (!File.Exists(path))
        {
            throw new AgentConfigurationException(key, $"file '{path}' does not exist");
        }

        try
        {
            using var stream = File.OpenRead(path);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new AgentConfigurationException(key, $"file '{path}' cannot be read: {ex.Message}");
        }
    }

    /// <summary>
    /// A private key that anyone but its owner can read is as good as published: refuse to start with one. Group read
    /// is refused too: the agent runs as root and needs no group to share its key with.
    /// </summary>
    private static void RequirePrivate(string key, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite)) != 0)
        {
            throw new AgentConfigurationException(key, $"'{path}' is readable or writable by group or others (mode {Convert.ToString((int)mode, 8)}); run: chmod 600 {path}");
        }
    }
}
