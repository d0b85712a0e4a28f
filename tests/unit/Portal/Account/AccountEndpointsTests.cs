using PatchPortal.Portal.Account;

namespace PatchPortal.Tests.Unit.Portal.Account;

public sealed class AccountEndpointsTests
{
    [Theory]
    [InlineData("/audit", "/audit")]
    [InlineData("/settings/users?x=1", "/settings/users?x=1")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example/", "/")]
    [InlineData(null, "/")]
    public void SafeReturnUrl_AllowsOnlyLocalPaths_WhenGivenAnyUrl(string? input, string expected) =>
        Assert.Equal(expected, AccountEndpoints.SafeReturnUrl(input));
}
