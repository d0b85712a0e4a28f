using Microsoft.AspNetCore.Http;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Tests.Unit.Portal.Infrastructure;

public sealed class SecurityHeadersTests
{
    [Fact]
    public void Apply_SetsHsts_WhenRequestIsHttps()
    {
        var context = new DefaultHttpContext { Request = { Scheme = "https" } };

        HostingExtensions.ApplySecurityHeaders(context);

        Assert.Equal("max-age=31536000; includeSubDomains", context.Response.Headers.StrictTransportSecurity);
    }

    [Fact]
    public void Apply_OmitsHsts_WhenRequestIsPlainHttp()
    {
        var context = new DefaultHttpContext { Request = { Scheme = "http" } };

        HostingExtensions.ApplySecurityHeaders(context);

        Assert.False(context.Response.Headers.ContainsKey("Strict-Transport-Security"));
    }

    [Fact]
    public void Apply_ForbidsFramingAndForeignScripts_WhenAnyResponseIsSent()
    {
        var context = new DefaultHttpContext();

        HostingExtensions.ApplySecurityHeaders(context);

        var csp = context.Response.Headers.ContentSecurityPolicy.ToString();
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", context.Response.Headers.XFrameOptions);
        Assert.Equal("nosniff", context.Response.Headers.XContentTypeOptions);
    }
}
