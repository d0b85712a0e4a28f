using Microsoft.Extensions.Options;
using PatchPortal.Agent.Security;

namespace PatchPortal.Agent.Configuration;

/// <summary>Checks what data annotations cannot: URLs, CIDRs, identities, the backend name, the reboot command.</summary>
public sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    public static readonly string[] Backends = ["auto", "apt", "dnf", "simulated"];

    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        try
        {
            _ = ListenEndpoints.Parse(options.Urls);
        }
        catch (AgentConfigurationException ex)
        {
            failures.Add(ex.Message);
        }

        for (var i = 0; i < options.AllowedNetworks.Count; i++)
        {
            if (!CidrRange.TryParse(options.AllowedNetworks[i], out _))
            {
                failures.Add($"Agent:AllowedNetworks:{i}: '{options.AllowedNetworks[i]}' is not an address or CIDR range");
            }
        }

        for (var i = 0; i < options.AllowedClients.Count; i++)
        {
            var entry = options.AllowedClients[i];
            if (string.IsNullOrWhiteSpace(entry))
            {
                failures.Add($"Agent:AllowedClients:{i}: empty entry");
            }
            else if (entry.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) && !ClientCertificatePolicy.TryParseFingerprint(entry, out _))
            {
                failures.Add($"Agent:AllowedClients:{i}: '{entry}' is not a sha256: fingerprint of 64 hex digits");
            }
        }

        if (options.Tls.CrlUrl is { Length: > 0 } crlUrl)
        {
            if (!Uri.TryCreate(crlUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                failures.Add($"Agent:Tls:CrlUrl: '{crlUrl}' is not an http(s) URL");
            }

            if (string.IsNullOrWhiteSpace(options.Tls.Crl))
            {
                failures.Add("Agent:Tls:CrlUrl: needs Agent:Tls:Crl, the file the fetched CRL is kept in");
            }
        }

        if (!Backends.Contains(options.Backend, StringComparer.Ordinal))
        {
            failures.Add($"Agent:Backend: '{options.Backend}' is not one of {string.Join(", ", Backends)}");
        }

        if (string.IsNullOrWhiteSpace(options.DataDir))
        {
            failures.Add("Agent:DataDir: must name a directory");
        }

        if (!Path.IsPathFullyQualified(options.Reboot.EffectiveCommand[0]))
        {
            failures.Add("Agent:Reboot:Command: must be an argument list starting with an absolute path");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
