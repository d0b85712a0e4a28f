using System.Net;

namespace PatchPortal.Agent.Security;

/// <summary>The addresses the agent listens on, parsed from <c>Agent:Urls</c> (HTTPS only).</summary>
public static class ListenEndpoints
{
    public static IReadOnlyList<IPEndPoint> Parse(string? urls)
    {
        if (string.IsNullOrWhiteSpace(urls))
        {
            throw new AgentConfigurationException("Agent:Urls", "no listen URL");
        }

        var endpoints = new List<IPEndPoint>();
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.PathAndQuery != "/")
            {
                throw new AgentConfigurationException("Agent:Urls", $"'{url}' is not a URL of the form https://address:port");
            }

            if (uri.Scheme != Uri.UriSchemeHttps)
            {
                throw new AgentConfigurationException("Agent:Urls", $"'{url}' is not HTTPS; the agent serves HTTPS only");
            }

            var host = uri.Host.Trim('[', ']');
            IPAddress address;
            if (host is "localhost")
            {
                address = IPAddress.Loopback;
            }
            else if (host is "*" or "+")
            {
                address = IPAddress.IPv6Any;
            }
            else if (!IPAddress.TryParse(host, out address!))
            {
                throw new AgentConfigurationException("Agent:Urls", $"'{url}' must name an IP address (or localhost), not a host name");
            }

            endpoints.Add(new IPEndPoint(address, uri.Port));
        }

        return endpoints;
    }
}
