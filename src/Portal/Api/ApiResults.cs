using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Api;

/// <summary>Maps the services' outcomes to API responses, so every endpoint answers a refusal the same way.</summary>
public static class ApiResults
{
    /// <summary>The problem for a failed change: 422 with the fields at fault, 409, or 404.</summary>
    public static IResult Refused(ChangeStatus status, string? error, IReadOnlyDictionary<string, string>? fieldErrors = null)
    {
        var message = error ?? "The change was refused.";
        return status switch
        {
            ChangeStatus.NotFound => ApiProblems.NotFound(message),
            ChangeStatus.Forbidden => ApiProblems.Forbidden(message),
            ChangeStatus.Invalid when fieldErrors is { Count: > 0 } => ApiProblems.Invalid(fieldErrors, message),
            ChangeStatus.Invalid => TypedResults.Problem(title: "The request breaks a rule", detail: message, statusCode: StatusCodes.Status422UnprocessableEntity),
            _ => ApiProblems.Conflict(message),
        };
    }

    /// <summary>Documents the problems every API endpoint may answer with, plus the extra ones given.</summary>
    public static RouteHandlerBuilder WithProblems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var status in statuses.Concat([StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status429TooManyRequests]).Distinct())
        {
            builder.ProducesProblem(status);
        }

        return builder;
    }
}
