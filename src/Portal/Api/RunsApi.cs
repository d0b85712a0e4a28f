using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Runs;

namespace PatchPortal.Portal.Api;

/// <summary>A run without its host rows (those page at <c>/runs/{id}/hosts</c>), with how many hosts are in each state.</summary>
public sealed record RunSummary(
    Guid Id,
    Guid PlanId,
    string PlanName,
    PlanTiming Timing,
    string? WindowName,
    string? WindowTimeZone,
    DateTimeOffset OccurrenceStart,
    DateTimeOffset OccurrenceEnd,
    DateTimeOffset CutoffAt,
    RunState State,
    string? StateReason,
    bool PauseRequested,
    string? CancelledBy,
    bool Cancelling,
    int CurrentBatch,
    int Batches,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    RebootPolicy RebootPolicy,
    [property: Description("Host count per state (camelCase state names), and total")] IReadOnlyDictionary<string, int> Hosts)
{
    public static RunSummary Of(RunDetail run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var hosts = new Dictionary<string, int>(StringComparer.Ordinal) { ["total"] = run.Hosts.Count };
        foreach (var state in Enum.GetValues<HostRunState>())
        {
            hosts[ApiJson.FieldName(state.ToString())] = run.Count(state);
        }

        return new RunSummary(
            run.Id, run.PlanId, run.PlanName, run.Timing, run.WindowName, run.WindowTimeZone, run.OccurrenceStart, run.OccurrenceEnd, run.CutoffAt,
            run.State, run.StateReason, run.PauseRequested, run.CancelledBy, run.Cancelling, run.CurrentBatch, run.Batches, run.StartedAt, run.FinishedAt,
            run.RebootPolicy, hosts);
    }
}

public sealed record RunCancelWrite([property: Description("Why the run is cancelled (required, at most 500 characters)")] string? Reason);

/// <summary>What a run command did, and the run as it is now.</summary>
public sealed record RunActionAnswer(string Message, RunSummary Run);

/// <summary>
/// <c>/api/v1/runs</c>: runs of approved plans, their hosts, and the operator's controls (pause, resume, cancel,
/// retry, roll back one host), with the same rules and audit as the run page.
/// </summary>
public static class RunsApi
{
    private static readonly string[] Sorts = [nameof(RunRow.OccurrenceStart), nameof(RunRow.StartedAt), nameof(RunRow.PlanName), nameof(RunRow.State)];

    public static void MapRunsApi(this RouteGroupBuilder api)
    {
        var runs = api.MapGroup("/runs").WithTags("Runs");
        runs.MapGet("/", ListAsync).WithName("ListRuns").WithSummary("List runs, newest occurrence first").Produces<ApiPage<RunRow>>().WithProblems(400);
        runs.MapGet("/{id:guid}", GetAsync).WithName("GetRun").WithSummary("One run with host counts per state").Produces<RunSummary>().WithProblems(404);
        runs.MapGet("/{id:guid}/hosts", HostsAsync).WithName("ListRunHosts")
            .WithSummary("The run's hosts in batch order: state, attempts, agent job, changes, output excerpt, errors")
            .Produces<ApiPage<HostRunRow>>().WithProblems(400, 404);
        runs.MapPost("/{id:guid}/pause", PauseAsync).RequireAuthorization(ApiPolicies.Write).WithName("PauseRun")
            .WithSummary("Pause: hosts being patched finish, no new host starts").Produces<RunActionAnswer>().WithProblems(404, 409);
        runs.MapPost("/{id:guid}/resume", ResumeAsync).RequireAuthorization(ApiPolicies.Write).WithName("ResumeRun")
            .WithSummary("Resume a paused run").Produces<RunActionAnswer>().WithProblems(404, 409);
        runs.MapPost("/{id:guid}/cancel", CancelAsync).RequireAuthorization(ApiPolicies.Write).WithName("CancelRun")
            .WithSummary("Cancel with a reason: running hosts finish, the rest are skipped").Produces<RunActionAnswer>().WithProblems(400, 404, 409, 422);
        runs.MapPost("/{id:guid}/retry", RetryAsync).RequireAuthorization(ApiPolicies.Write).WithName("RetryRun")
            .WithSummary("Send the failed, missed and skipped hosts again while the window allows").Produces<RunActionAnswer>().WithProblems(404, 409);
        runs.MapPost("/{id:guid}/hosts/{hostRunId:long}/rollback", RollBackAsync).RequireAuthorization(ApiPolicies.Write).WithName("RollBackRunHost")
            .WithSummary("Undo one host's patch job through its agent").Produces<RunActionAnswer>().WithProblems(404, 409);
    }

    private static async Task<IResult> ListAsync(
        RunQuery query,
        [Description("scheduled, running, paused, succeeded, partiallyFailed, failed or cancelled")] string? state,
        [Description("Only this plan's runs")] Guid? planId,
        [Description("occurrenceStart (default, newest first), startedAt, planName or state")] string? sort,
        bool? desc,
        int? page,
        int? pageSize,
        CancellationToken cancellationToken)
    {
        var (paging, error) = ApiPaging.Read(page, pageSize);
        var (wanted, stateError) = ApiQuery.Enum<RunState>(state, nameof(state));
        var (by, sortError) = ApiPaging.Sort(sort, Sorts);
        if ((error ?? stateError ?? sortError) is { } bad)
        {
            return ApiProblems.BadRequest(bad);
        }

        var result = await query.GetPageAsync(new RunFilter(wanted, planId), new RunSort(by, desc ?? false), paging.Index, paging.PageSize, cancellationToken);
        return TypedResults.Ok(paging.Of(result.Items, result.Total));
    }

    private static async Task<IResult> GetAsync(Guid id, RunQuery query, CancellationToken cancellationToken) =>
        await query.GetDetailAsync(id, cancellationToken) is { } run ? TypedResults.Ok(RunSummary.Of(run)) : NotFound(id);

    private static async Task<IResult> HostsAsync(
        Guid id,
        RunQuery query,
        [Description("pending, patching, retrying, rebooting, succeeded, failed, missed, skipped or rolledBack")] string? state,
        int? page,
        int? pageSize,
        CancellationToken cancellationToken)
    {
        var (paging, error) = ApiPaging.Read(page, pageSize);
        var (wanted, stateError) = ApiQuery.Enum<HostRunState>(state, nameof(state));
        if ((error ?? stateError) is { } bad)
        {
            return ApiProblems.BadRequest(bad);
        }

        if (await query.GetDetailAsync(id, cancellationToken) is not { } run)
        {
            return NotFound(id);
        }

        var hosts = wanted is { } s ? run.Hosts.Where(h => h.State == s).ToList() : run.Hosts;
        return TypedResults.Ok(paging.Of(hosts.Skip(paging.Index * paging.PageSize).Take(paging.PageSize).ToList(), hosts.Count));
    }

    private static Task<IResult> PauseAsync(Guid id, RunControl control, RunQuery query, HttpContext context, CancellationToken cancellationToken) =>
        ActAsync(id, query, () => control.PauseAsync(id, ApiActor.Of(context), cancellationToken), cancellationToken);

    private static Task<IResult> ResumeAsync(Guid id, RunControl control, RunQuery query, HttpContext context, CancellationToken cancellationToken) =>
        ActAsync(id, query, () => control.ResumeAsync(id, ApiActor.Of(context), cancellationToken), cancellationToken);

    private static Task<IResult> CancelAsync(Guid id, RunCancelWrite body, RunControl control, RunQuery query, HttpContext context, CancellationToken cancellationToken) =>
        ActAsync(id, query, () => control.CancelAsync(id, body.Reason ?? "", ApiActor.Of(context), cancellationToken), cancellationToken);

    private static Task<IResult> RetryAsync(Guid id, RunControl control, RunQuery query, HttpContext context, CancellationToken cancellationToken) =>
        ActAsync(id, query, () => control.RetryFailedAsync(id, ApiActor.Of(context), cancellationToken), cancellationToken);

    private static Task<IResult> RollBackAsync(Guid id, long hostRunId, RunControl control, RunQuery query, HttpContext context, CancellationToken cancellationToken) =>
        ActAsync(id, query, () => control.RollBackHostAsync(id, hostRunId, ApiActor.Of(context), cancellationToken), cancellationToken);

    /// <summary>A missing run is a 404 before anything is tried; then the control's answer, and the run as it is now.</summary>
    private static async Task<IResult> ActAsync(Guid id, RunQuery query, Func<Task<RunActionResult>> act, CancellationToken cancellationToken)
    {
        if (await query.GetDetailAsync(id, cancellationToken) is null)
        {
            return NotFound(id);
        }

        var result = await act();
        if (!result.Succeeded)
        {
            return result.Status == Infrastructure.ChangeStatus.Invalid
                ? ApiProblems.Invalid(nameof(RunCancelWrite.Reason), result.Message)
                : ApiResults.Refused(result.Status, result.Message);
        }

        return await query.GetDetailAsync(id, cancellationToken) is { } run ? TypedResults.Ok(new RunActionAnswer(result.Message, RunSummary.Of(run))) : NotFound(id);
    }

    private static ProblemHttpResult NotFound(Guid id) => ApiProblems.NotFound($"There is no run {id}.");
}
