using System.Net;
using PatchPortal.Agent.Security;

namespace PatchPortal.Tests.Unit.Agent.Security;

public class CidrRangeTests
{
    [Theory]
    [InlineData("127.0.0.0/8", "127.0.0.1", true)]
    [InlineData("127.0.0.0/8", "127.255.255.254", true)]
    [InlineData("127.0.0.0/8", "128.0.0.1", false)]
    [InlineData("10.1.2.0/23", "10.1.3.200", true)]
    [InlineData("10.1.2.0/23", "10.1.4.1", false)]
    [InlineData("192.168.1.7", "192.168.1.7", true)]
    [InlineData("192.168.1.7", "192.168.1.8", false)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("::1/128", "::1", true)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::1", false)]
    [InlineData("127.0.0.0/8", "::ffff:127.0.0.1", true)]
    [InlineData("127.0.0.0/8", "::1", false)]
    [InlineData("::/0", "127.0.0.1", false)]
    public void Contains_MatchesPrefix(string range, string address, bool expected)
    {
        Assert.True(CidrRange.TryParse(range, out var cidr));
        Assert.Equal(expected, cidr.Contains(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.0/33")]
    [InlineData("::/129")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/")]
    [InlineData("example.com/8")]
    [InlineData("10.0.0.0/8/8")]
    public void TryParse_ReturnsFalse_WhenTextIsNotACidr(string text) => Assert.False(CidrRange.TryParse(text, out _));

    [Fact]
    public void ToString_ShowsTheMaskedNetwork()
    {
        Assert.True(CidrRange.TryParse("10.1.2.3/16", out var cidr));
        Assert.Equal("10.1.0.0/16", cidr.ToString());
    }

    [Fact]
    public void IsAllowed_ReturnsFalse_WhenAddressIsUnknown() =>
        Assert.False(new NetworkAllowList([]).IsAllowed(null));
}
