using System.Net;
using PatchPortal.Agent.Security;

namespace PatchPortal.Tests.Unit.Agent.Security;

public class ListenEndpointsTests
{
    [Fact]
    public void Parse_ReadsSeveralHttpsUrls()
    {
        var endpoints = ListenEndpoints.Parse("https://0.0.0.0:12443; https://[::1]:12444;https://localhost:9000");
        Assert.Equal([new IPEndPoint(IPAddress.Any, 12443), new IPEndPoint(IPAddress.IPv6Loopback, 12444), new IPEndPoint(IPAddress.Loopback, 9000)], endpoints);
    }

    [Theory]
    [InlineData("http://0.0.0.0:12443", "not HTTPS")]
    [InlineData("https://agent.example.com:12443", "IP address")]
    [InlineData("https://0.0.0.0:12443/api", "https://address:port")]
    [InlineData("", "no listen URL")]
    public void Parse_ThrowsNamingTheKey_WhenUrlIsWrong(string urls, string reason)
    {
        var ex = Assert.Throws<AgentConfigurationException>(() => ListenEndpoints.Parse(urls));
        Assert.Equal("Agent:Urls", ex.Key);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }
}
