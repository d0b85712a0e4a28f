using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Pki;

namespace PatchPortal.Portal.Enrollment;

public static class EnrollmentExtensions
{
    public const long MaxRequestBytes = 64 * 1024;

    /// <summary>The portal CA, the mTLS agent client, and enrolment (tokens and the endpoint agents call).</summary>
    public static IHostApplicationBuilder AddAgentConnectivity(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<PkiOptions>().BindConfiguration(PkiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EnrollmentOptions>().BindConfiguration(EnrollmentOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(new PkiDirectory(Path.Combine(DataExtensions.ResolveDataDir(builder), "pki")));
        services.AddSingleton<PortalCertificateAuthority>();
        services.AddSingleton<RevokedCertificates>();
        services.AddSingleton<CrlPublisher>();
        services.AddSingleton<AgentCertificateValidator>();
        services.AddHostedService<RevocationLoader>();
        services.AddSingleton<AgentConnections>();
        services.AddSingleton<IAgentClient, AgentClient>();

        services.AddSingleton(provider =>
        {
            var configured = provider.GetRequiredService<IOptions<EnrollmentOptions>>().Value.PublicUrl;
            var urls = builder.Configuration[$"{PortalOptions.Section}:Urls"] ?? builder.Configuration[WebHostDefaults.ServerUrlsKey] ?? HostingExtensions.DefaultUrls;
            return new EnrollmentUrl((configured ?? urls.Split(';', StringSplitOptions.RemoveEmptyEntries)[0]).TrimEnd('/'));
        });
        services.AddSingleton<HostEnrollment>();
        services.AddSingleton<IHostEnrollment>(provider => provider.GetRequiredService<HostEnrollment>());
        services.AddSingleton<Settings.Certificates.CertificateAdministration>();
        services.AddEventHub<HostEventHub>();
        return builder;
    }

    /// <summary><c>POST /api/v1/enroll</c>: anonymous, authorised by the one-time token alone.</summary>
    public static IEndpointRouteBuilder MapEnrollmentApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/enroll", EnrollAsync).AllowAnonymous().DisableAntiforgery().WithName("Enroll");
        app.MapCrlEndpoint();
        return app;
    }

    private static async Task<IResult> EnrollAsync(HttpContext context, HostEnrollment enrollment, CancellationToken cancellationToken)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxRequestBytes;
        }

        EnrollmentRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<EnrollmentRequest>(context.Request.Body, AgentJson.Options, cancellationToken);
        }
        catch (JsonException ex)
        {
            return TypedResults.Problem(title: "Invalid enrolment request", detail: $"the body is not an enrolment request: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TypedResults.Problem(title: "Request too large", detail: $"an enrolment request is at most {MaxRequestBytes} bytes", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        if (request is null)
        {
            return TypedResults.Problem(title: "Invalid enrolment request", detail: "the body is empty", statusCode: StatusCodes.Status400BadRequest);
        }

        var outcome = await enrollment.CompleteAsync(request, context.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        return outcome.Refusal switch
        {
            null => Results.Json(outcome.Response, AgentJson.Options),
            EnrollmentRefusal.InvalidRequest or EnrollmentRefusal.BadCertificateRequest =>
                TypedResults.Problem(title: "Invalid enrolment request", detail: outcome.Message, statusCode: StatusCodes.Status400BadRequest),
            _ => TypedResults.Problem(title: "Enrolment refused", detail: outcome.Message, statusCode: StatusCodes.Status403Forbidden),
        };
    }

    /// <summary>Loads revoked agent certificate fingerprints once the database is migrated, and publishes the CRL.</summary>
    private sealed class RevocationLoader(IDbContextFactory<PortalDbContext> factory, RevokedCertificates revoked, PortalCertificateAuthority ca, CrlPublisher crl) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            _ = ca.CaFingerprint; // create or load the CA at start, not at the first enrolment
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            revoked.Replace(await db.IssuedCertificates.Where(c => c.RevokedAt != null).Select(c => c.Fingerprint).ToListAsync(cancellationToken));
            await crl.RebuildAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
