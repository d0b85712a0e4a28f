using Microsoft.AspNetCore.Http.HttpResults;

namespace PatchPortal.Portal.Api;

/// <summary>RFC 9457 problem responses for the API, one helper per status the API uses.</summary>
public static class ApiProblems
{
    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem(title: "Not found", detail: what, statusCode: StatusCodes.Status404NotFound);

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(title: "Forbidden", detail: detail, statusCode: StatusCodes.Status403Forbidden);

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(title: "Conflict", detail: detail, statusCode: StatusCodes.Status409Conflict);

    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(title: "Bad request", detail: detail, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>422: the request was understood but breaks a rule; <paramref name="errors"/> names the fields at fault.</summary>
    public static ProblemHttpResult Invalid(IReadOnlyDictionary<string, string> errors, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return TypedResults.Problem(new HttpValidationProblemDetails(
            errors.ToDictionary(e => ApiJson.FieldName(e.Key), e => new[] { e.Value }, StringComparer.Ordinal))
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "The request breaks a rule",
            Detail = detail ?? string.Join(" ", errors.Values),
            Type = "https://tools.ietf.org/html/rfc9110#section-15.5.21",
        });
    }

    public static ProblemHttpResult Invalid(string field, string error) =>
        Invalid(new Dictionary<string, string>(StringComparer.Ordinal) { [field] = error });

    /// <summary>Writes a problem directly to the response (for middleware that runs outside an endpoint).</summary>
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
