using System.Net;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Operations;

/// <summary>The real portal's request ids: the caller's well-formed X-Request-Id is kept and echoed, anything else replaced.</summary>
[Collection(PortalTests.Name)]
public sealed class PortalRequestIdTests(PortalFixture fixture)
{
    [Fact]
    public async Task Response_EchoesTheCallersRequestId_WhenWellFormed()
    {
        using var http = new HttpClient { BaseAddress = fixture.Portal.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Add("X-Request-Id", "e2e-portal.healthz-1");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("e2e-portal.healthz-1", response.Headers.GetValues("X-Request-Id").Single());
    }

    [Theory]
    [InlineData("two words")]
    [InlineData("<script>")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Response_CarriesAFreshRequestId_WhenTheCallersIsMalformed(string malformed)
    {
        using var http = new HttpClient { BaseAddress = fixture.Portal.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.TryAddWithoutValidation("X-Request-Id", malformed);

        using var response = await http.SendAsync(request);

        var echoed = response.Headers.GetValues("X-Request-Id").Single();
        Assert.NotEqual(malformed, echoed);
        Assert.Matches("^[0-9a-f]{32}$", echoed);
    }

    [Fact]
    public async Task Response_CarriesAFreshRequestId_WhenTheCallerSendsNone()
    {
        using var http = new HttpClient { BaseAddress = fixture.Portal.BaseAddress };

        using var first = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var second = await http.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Matches("^[0-9a-f]{32}$", first.Headers.GetValues("X-Request-Id").Single());
        Assert.NotEqual(first.Headers.GetValues("X-Request-Id").Single(), second.Headers.GetValues("X-Request-Id").Single());
    }
}
