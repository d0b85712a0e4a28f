using System.Net;
using System.Text.Json;
using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Agent;

/// <summary>The agent's OpenAPI document and its Scalar page, fetched over real mTLS and held against the contract.</summary>
[Collection(AgentCollectionDefinition.Name)]
public sealed class AgentOpenApiTests(AgentFixture fixture)
{
    /// <summary>
    /// The routes of AGENT_API.md with the statuses the contract gives each (besides 401, 429, 500 and 503, which every
    /// request can meet): method, path, statuses.
    /// </summary>
    public static TheoryData<string, string, string> ContractRoutes => new()
    {
        { "get", "/health", "200 503" },
        { "get", "/api/v1/health", "200 503" },
        { "get", "/api/v1/packages", "200 400" },
        { "get", "/api/v1/packages/{name}", "200 400 404" },
        { "post", "/api/v1/packages", "202 400 413" },
        { "put", "/api/v1/packages/{name}", "202 400 404" },
        { "delete", "/api/v1/packages/{name}", "202 400 404" },
        { "get", "/api/v1/patches", "200 400" },
        { "post", "/api/v1/patches/apply", "200 202 400 404 413" },
        { "get", "/api/v1/system/info", "200" },
        { "post", "/api/v1/system/reboot", "202 400 409" },
        { "get", "/api/v1/jobs", "200 400" },
        { "get", "/api/v1/jobs/{id}", "200 400 404" },
        { "post", "/api/v1/jobs/{id}/rollback", "202 400 404 409" },
        { "delete", "/api/v1/jobs/{id}", "200 400 404" },
        { "get", "/api/v1/ws/jobs", "101" },
        { "get", "/api/v1/system/services/{name}", "200 400 404 503" },
    };

    [Theory]
    [MemberData(nameof(ContractRoutes))]
    public async Task OpenApiDocument_DescribesRoute_WithTheContractsStatuses(string method, string path, string statuses)
    {
        var document = await FetchDocumentAsync();

        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is not in the document");
        Assert.True(item.TryGetProperty(method, out var operation), $"{method.ToUpperInvariant()} {path} is not in the document");
        var documented = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();
        foreach (var status in statuses.Split(' ').Concat(path == "/api/v1/ws/jobs" ? [] : ["401", "429", "500", "503"]))
        {
            Assert.True(documented.Contains(status), $"{method.ToUpperInvariant()} {path} does not document {status}; it has {string.Join(", ", documented)}");
        }
    }

    [Fact]
    public async Task OpenApiDocument_DocumentsNoRouteOutsideTheContract()
    {
        var document = await FetchDocumentAsync();

        var contract = ContractRoutes.Select(row => $"{row[0]} {row[1]}").ToHashSet(StringComparer.Ordinal);
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(operation => $"{operation.Name} {path.Name}"));
        Assert.All(documented, route => Assert.Contains(route, contract));
    }

    [Fact]
    public async Task OpenApiDocument_DescribesEnvelopeInSnakeCase_WhenAnEndpointAnswersJobDetail()
    {
        var document = await FetchDocumentAsync();

        var schemas = document.GetProperty("components").GetProperty("schemas");
        var envelope = schemas.GetProperty("JobDetailEnvelope").GetProperty("properties");
        var error = schemas.GetProperty("ErrorEnvelope").GetProperty("properties");
        var job = schemas.GetProperty("JobDetail").GetProperty("properties");
        foreach (var field in new[] { "success", "request_id", "timestamp", "data", "error" })
        {
            Assert.True(envelope.TryGetProperty(field, out _), $"the envelope schema lacks {field}");
            Assert.True(error.TryGetProperty(field, out _), $"the error envelope schema lacks {field}");
        }

        foreach (var field in new[] { "job_id", "operation", "status", "progress", "logs", "exit_code", "rollback_job_id", "exclusive_mode", "request_id" })
        {
            Assert.True(job.TryGetProperty(field, out _), $"the job schema lacks {field}");
        }
    }

    [Fact]
    public async Task OpenApiDocument_TypesPagingParameters_AsIntegersWithTheContractsLimit()
    {
        var document = await FetchDocumentAsync();

        var parameters = document.GetProperty("paths").GetProperty("/api/v1/packages").GetProperty("get").GetProperty("parameters").EnumerateArray().ToList();
        var limit = parameters.Single(p => p.GetProperty("name").GetString() == "limit").GetProperty("schema");
        Assert.Equal("integer", limit.GetProperty("type").GetString());
        Assert.Equal(1000, limit.GetProperty("maximum").GetInt32());
        Assert.Contains(parameters, p => p.GetProperty("name").GetString() == "X-Request-Id" && p.GetProperty("in").GetString() == "header");
    }

    [Fact]
    public async Task ScalarPage_RendersTheDocument_OverMtls()
    {
        using var page = await fixture.Client.GetAsync(new Uri("scalar", UriKind.Relative));
        var html = await page.Content.ReadAsStringAsync();
        using var script = await fixture.Client.GetAsync(new Uri("scalar/scalar.js", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_IsRefused_WhenNoClientCertificate()
    {
        using var anonymous = fixture.Agent.CreateClient(null);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => anonymous.GetAsync(new Uri("openapi/v1.json", UriKind.Relative)));
    }

    private async Task<JsonElement> FetchDocumentAsync()
    {
        using var response = await fixture.Client.GetAsync(new Uri("openapi/v1.json", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /openapi/v1.json answered {(int)response.StatusCode}: {text}\n{fixture.Agent}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
