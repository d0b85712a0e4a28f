using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using PatchPortal.Agent.Api;
using Prometheus;

namespace PatchPortal.Tests.Unit.Agent.Api;

/// <summary>The request histogram's labels stay bounded whatever a client sends.</summary>
public sealed class RequestMetricsTests
{
    [Fact]
    public async Task Finished_LabelsByStatusClassKnownMethodAndRouteTemplate()
    {
        var route = new RouteEndpoint(_ => Task.CompletedTask, RoutePatternFactory.Parse("/api/v1/jobs/{id}"), 0, null, "GetJob");
        Record("get", 200, route);
        Record("BREW", 418, endpoint: null);
        Record("DELETE", 503, route);

        var text = await ExportAsync();

        Assert.Contains("http_request_duration_seconds_count{code=\"2xx\",method=\"GET\",endpoint=\"/api/v1/jobs/{id}\"}", text, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_count{code=\"4xx\",method=\"OTHER\",endpoint=\"\"}", text, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_count{code=\"5xx\",method=\"DELETE\",endpoint=\"/api/v1/jobs/{id}\"}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BREW", text, StringComparison.Ordinal);
    }

    private static void Record(string method, int status, Endpoint? endpoint)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Response.StatusCode = status;
        context.SetEndpoint(endpoint);
        RequestMetrics.Started();
        RequestMetrics.Finished(context, TimeSpan.FromMilliseconds(3));
    }

    private static async Task<string> ExportAsync()
    {
        using var stream = new MemoryStream();
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
