using System.Collections.Concurrent;
using Prometheus;

namespace PatchPortal.Agent.Api;

/// <summary>
/// The HTTP metrics on <c>/metrics</c>: <c>http_request_duration_seconds</c> by status class, method and route
/// template, and <c>http_requests_in_progress</c>, recorded by <see cref="RequestGuardMiddleware"/>.
/// </summary>
/// <remarks>
/// prometheus-net's own HTTP middlewares (three of them, each looking its labels up by value on every request) cost
/// about 7% of the agent's CPU on <c>/health</c> under load; here one look-up keyed by the endpoint object finds the
/// request's histogram child. The labels are bounded: the status class (<c>2xx</c>...), a known method or
/// <c>OTHER</c>, and a route template or <c>""</c> for a path no route matched.
/// </remarks>
internal static class RequestMetrics
{
    private static readonly Histogram Duration = Metrics.CreateHistogram(
        "http_request_duration_seconds",
        "The duration of HTTP requests the agent answered, by status class, method and route template.",
        new HistogramConfiguration
        {
            LabelNames = ["code", "method", "endpoint"],
            Buckets = Histogram.ExponentialBuckets(0.001, 2, 16),
        });

    private static readonly Gauge InProgress = Metrics.CreateGauge(
        "http_requests_in_progress", "The HTTP requests the agent is answering now (WebSocket streams included).");

    private static readonly ConcurrentDictionary<Key, Histogram.Child> Children = new();

    private static readonly string[] StatusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"];

    private readonly record struct Key(Endpoint? Endpoint, string Method, int StatusClass);

    public static void Started() => InProgress.Inc();

    public static void Finished(HttpContext context, TimeSpan elapsed)
    {
        InProgress.Dec();
        var statusClass = Math.Clamp(context.Response.StatusCode / 100, 1, 5);
        var key = new Key(context.GetEndpoint(), MethodLabel(context.Request.Method), statusClass);
        if (!Children.TryGetValue(key, out var child))
        {
            var endpoint = (key.Endpoint as RouteEndpoint)?.RoutePattern.RawText ?? "";
            child = Children.GetOrAdd(key, Duration.WithLabels(StatusClasses[statusClass - 1], key.Method, endpoint));
        }

        child.Observe(elapsed.TotalSeconds);
    }

    /// <summary>The method's canonical name when HTTP defines it, <c>OTHER</c> for anything a client made up.</summary>
    private static string MethodLabel(string method)
    {
        var canonical = HttpMethods.GetCanonicalizedValue(method);
        return HttpMethods.IsGet(canonical) || HttpMethods.IsPost(canonical) || HttpMethods.IsPut(canonical) || HttpMethods.IsDelete(canonical)
            || HttpMethods.IsHead(canonical) || HttpMethods.IsOptions(canonical) || HttpMethods.IsPatch(canonical) || HttpMethods.IsConnect(canonical)
            || HttpMethods.IsTrace(canonical)
            ? canonical
            : "OTHER";
    }
}
