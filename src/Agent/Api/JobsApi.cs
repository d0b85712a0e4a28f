using Microsoft.AspNetCore.Mvc;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;

namespace PatchPortal.Agent.Api;

public static class JobsApi
{
    /// <summary>Status filter values, with the spellings older clients send.</summary>
    private static readonly Dictionary<string, string> StatusAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["pending"] = JobStatuses.Pending,
        ["running"] = JobStatuses.Running,
        ["completed"] = JobStatuses.Completed,
        ["failed"] = JobStatuses.Failed,
        ["cancelled"] = JobStatuses.Cancelled,
        ["timeout"] = JobStatuses.Timeout,
        ["timed_out"] = JobStatuses.Timeout,
        ["timedout"] = JobStatuses.Timeout,
        ["interrupted"] = JobStatuses.Interrupted,
    };

    private static readonly Dictionary<string, string> OperationAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["install"] = JobOperations.Install,
        ["update"] = JobOperations.Update,
        ["remove"] = JobOperations.Remove,
        ["patch_apply"] = JobOperations.PatchApply,
        ["patchapply"] = JobOperations.PatchApply,
        ["reboot"] = JobOperations.Reboot,
        ["rollback"] = JobOperations.Rollback,
    };

    private static readonly string[] Sorts = ["created_at", "updated_at", "status"];

    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/jobs").WithTags("Jobs");
        group.MapGet("/", List).WithName("ListJobs").WithSummary("Jobs, newest first by default")
            .Answers<JobListResponse>().Refuses(StatusCodes.Status400BadRequest)
            .WithQueryValues("status", [.. StatusAliases.Keys]).WithQueryValues("operation", [.. OperationAliases.Keys]).WithQueryValues("sort", Sorts);
        group.MapGet("/{id}", Get).WithName("GetJob").WithSummary("One job: status, logs, output, before/after versions")
            .Answers<JobDetail>().Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        group.MapPost("/{id}/rollback", Rollback).WithName("RollbackJob").WithSummary("Restore the versions a finished job recorded before it ran (a job)")
            .Answers<JobAccepted>(StatusCodes.Status202Accepted).Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        group.MapDelete("/{id}", CancelOrDeleteAsync).WithName("CancelOrDeleteJob").WithSummary("Cancel a pending or running job, or delete a finished one")
            .Answers<JobDeleteResponse>().Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>The list's query parameters, bound as text (a class with properties: the request delegate generator cannot bind
    /// a constructor with nullable reference parameters, dotnet/aspnetcore#58953).</summary>
    public sealed class ListQuery
    {
        [FromQuery(Name = "status")]
        public string? Status { get; init; }

        [FromQuery(Name = "operation")]
        public string? Operation { get; init; }

        [FromQuery(Name = "limit")]
        public string? Limit { get; init; }

        [FromQuery(Name = "offset")]
        public string? Offset { get; init; }

        [FromQuery(Name = "sort")]
        public string? Sort { get; init; }

        [FromQuery(Name = "order")]
        public string? Order { get; init; }
    }

    private static IResult List([AsParameters] ListQuery query, IJobManager jobs)
    {
        string? status = null;
        string? operation = null;
        if (query.Status is not null && !StatusAliases.TryGetValue(query.Status, out status))
        {
            return Envelope.Invalid("status", $"status must be one of: {string.Join(", ", StatusAliases.Keys)}");
        }

        if (query.Operation is not null && !OperationAliases.TryGetValue(query.Operation, out operation))
        {
            return Envelope.Invalid("operation", $"operation must be one of: {string.Join(", ", OperationAliases.Keys)}");
        }

        if (QueryParsing.First(
                QueryParsing.Paging(query.Limit, query.Offset, out var limit, out var offset),
                QueryParsing.Choice("sort", query.Sort, Sorts, "created_at", out var sort),
                QueryParsing.Order(query.Order, defaultDescending: true, out var descending)) is { } failure)
        {
            return Envelope.Invalid(failure);
        }

        return Envelope.Ok(jobs.List(new JobQuery(status, operation, limit, offset, sort, descending)));
    }

    private static IResult Get(string id, IJobManager jobs)
    {
        if (InvalidId(id) is { } invalid)
        {
            return invalid;
        }

        return jobs.Find(id) is { } job ? Envelope.Ok(job) : NotFound(id);
    }

    private static IResult Rollback(string id, IJobManager jobs, HttpContext context)
    {
        if (InvalidId(id) is { } invalid)
        {
            return invalid;
        }

        var result = jobs.Rollback(id, RequestGuardMiddleware.ClientIdentity(context), Envelope.RequestId(context));
        return result.Outcome switch
        {
            RollbackOutcome.NotFound => NotFound(id),
            RollbackOutcome.Conflict => Envelope.Error(StatusCodes.Status409Conflict, ErrorCodes.JobConflict, result.Message ?? "the job cannot be rolled back",
                new Dictionary<string, object?> { ["job_id"] = id }),
            _ => Envelope.Accepted(new JobAccepted
            {
                JobId = result.Job!.JobId,
                Status = result.Job.Status,
                Operation = result.Job.Operation,
                CreatedAt = result.Job.CreatedAt,
                Packages = result.Job.Packages,
                OriginalJobId = id,
            }),
        };
    }

    private static async Task<IResult> CancelOrDeleteAsync(string id, IJobManager jobs, CancellationToken cancellationToken)
    {
        if (InvalidId(id) is { } invalid)
        {
            return invalid;
        }

        return await jobs.CancelOrDeleteAsync(id, cancellationToken) is { } result ? Envelope.Ok(result) : NotFound(id);
    }

    private static IResult? InvalidId(string id) =>
        Guid.TryParseExact(id, "D", out _) ? null : Envelope.Invalid("job_id", "job_id must be a job id as the agent returned it (a UUID)");

    private static IResult NotFound(string id) => Envelope.NotFound(ErrorCodes.JobNotFound, $"no job '{id}'", "job_id", id);
}
