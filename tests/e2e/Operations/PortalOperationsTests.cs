using System.Net;
using System.Text.Json;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Operations;

/// <summary>The real portal's monitoring endpoints, as a load balancer and Prometheus call them (no sign-in).</summary>
[Collection(PortalTests.Name)]
public sealed class PortalOperationsTests(PortalFixture fixture)
{
    [Fact]
    public async Task Healthz_Answers200_WithoutSignIn()
    {
        using var http = new HttpClient { BaseAddress = fixture.Portal.BaseAddress };

        using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_ReportsDatabaseAndHangfireHealthy()
    {
        using var http = new HttpClient { BaseAddress = fixture.Portal.BaseAddress };

        // Hangfire's first heartbeat may follow the portal's start by a moment.
        var body = await Wait.ForAsync(async () =>
        {
            using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : null;
        }, TimeSpan.FromSeconds(60), "the portal to be ready");

        using var json = JsonDocument.Parse(body);
        var checks = json.RootElement.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("hangfire").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Metrics_ExposesRequestFleetAndQueueMetrics_InPrometheusFormat()
    {
        using var http = new HttpClient { BaseAddress = fixture.Portal.BaseAddress };
        (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).Dispose();

        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_count{", text, StringComparison.Ordinal);
        Assert.Contains("endpoint=\"/healthz\"", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE patchportal_hosts gauge", text, StringComparison.Ordinal);
        Assert.Contains("patchportal_hangfire_queue_depth", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE patchportal_gc_live_heap_bytes gauge", text, StringComparison.Ordinal);
        Assert.Contains("patchportal_hangfire_jobs{state=\"scheduled\"}", text, StringComparison.Ordinal);
    }
}
