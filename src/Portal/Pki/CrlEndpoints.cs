namespace PatchPortal.Portal.Pki;

/// <summary><c>GET /pki/crl.pem</c>: the CA's signed revocation list, public like the CA certificate itself.</summary>
public static class CrlEndpoints
{
    public const string Path = "/pki/crl.pem";

    public static IEndpointRouteBuilder MapCrlEndpoint(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(Path, async (CrlPublisher crl, HttpContext context, CancellationToken cancellationToken) =>
        {
            context.Response.Headers.CacheControl = "no-cache";
            return TypedResults.Text(await crl.GetPemAsync(cancellationToken), "application/x-pem-file");
        }).AllowAnonymous().WithName("CertificateRevocationList");
        return app;
    }
}
