using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Plans;

namespace PatchPortal.Portal.Api;

/// <summary>A patch plan as scripts write it: the plan editor's fields. PUT replaces the whole plan.</summary>
public sealed record PlanWrite(
    [property: Description("Plan name")] string? Name,
    string? Description,
    [property: Description("allUpdates (default), securityOnly or namedPackages")] PlanPackageScope? Scope,
    [property: Description("The packages to update when scope is namedPackages")] IReadOnlyList<string>? Packages,
    [property: Description("Package names or globs (linux-image-*) never to touch")] IReadOnlyList<string>? ExcludedPackages,
    TargetsWrite? Targets,
    [property: Description("nextOccurrence (default), occurrence, everyOccurrence or now")] PlanTiming? Timing,
    [property: Description("The maintenance window (not for timing now)")] Guid? WindowId,
    [property: Description("The chosen occurrence's start, for timing occurrence")] DateTimeOffset? OccurrenceStart,
    [property: Description("Hosts per batch (default 1), or a percentage with batchSizeIsPercent")] int? BatchSize,
    bool? BatchSizeIsPercent,
    [property: Description("Hosts patched first, alone, before the batches")] IReadOnlyList<Guid>? CanaryHostIds,
    [property: Description("Failures tolerated before the run halts (default 0)")] int? MaxFailures,
    bool? MaxFailuresIsPercent,
    [property: Description("never, ifRequired (default) or always")] RebootPolicy? RebootPolicy,
    [property: Description("Minutes one host may take (default 30)")] int? HostTimeoutMinutes,
    [property: Description("PUT only: the revision you read; a changed plan answers 409")] int? Revision)
{
    public PlanInput ToInput()
    {
        var defaults = new PlanInput();
        return new PlanInput
        {
            Name = Name ?? "",
            Description = Description,
            Scope = Scope ?? defaults.Scope,
            Packages = Packages ?? [],
            ExcludedPackages = ExcludedPackages ?? [],
            GroupIds = Targets?.GroupIds ?? [],
            TagIds = Targets?.TagIds ?? [],
            HostIds = Targets?.HostIds ?? [],
            Timing = Timing ?? defaults.Timing,
            WindowId = WindowId,
            OccurrenceStart = OccurrenceStart,
            BatchSize = BatchSize ?? defaults.BatchSize,
            BatchSizeIsPercent = BatchSizeIsPercent ?? false,
            CanaryHostIds = CanaryHostIds ?? [],
            MaxFailures = MaxFailures ?? defaults.MaxFailures,
            MaxFailuresIsPercent = MaxFailuresIsPercent ?? false,
            RebootPolicy = RebootPolicy ?? defaults.RebootPolicy,
            HostTimeoutMinutes = HostTimeoutMinutes ?? defaults.HostTimeoutMinutes,
        };
    }
}

/// <summary>Submitting names the revision the caller dry-ran and read.</summary>
public sealed record PlanSubmitWrite([property: Description("The revision you read")] int? Revision);

/// <summary>An approval or rejection of the revision the approver read; a rejection says why.</summary>
public sealed record PlanDecisionWrite([property: Description("The revision you read")] int? Revision, string? Comment);

public sealed record PlanCancelWrite([property: Description("Why the plan is cancelled (required)")] string? Reason);

/// <summary>What a plan command did, and the plan as it is now.</summary>
public sealed record PlanActionAnswer(string? Message, PlanDetail Plan);

/// <summary>
/// A plan's dry run: under way (with progress), or the stored manifest's summary and whether it describes the
/// current revision (approvers decide on a current one only).
/// </summary>
public sealed record DryRunStatus(
    bool Running,
    int Done,
    int Total,
    string? StartedBy,
    DateTimeOffset? StartedAt,
    int? ManifestRevision,
    bool Current,
    DateTimeOffset? CheckedAt,
    int Hosts,
    int Changes,
    int Failed,
    int RebootExpected,
    string? Message);

/// <summary>
/// <c>/api/v1/plans</c>: patch plans from draft to approval, with the same rules as the plan pages: an Operator
/// writes, dry-runs, submits and cancels; an Approver who did not author the plan approves or rejects it.
/// </summary>
public static class PlansApi
{
    private static readonly string[] Sorts = [PlanSort.Name, PlanSort.State, PlanSort.RequestedBy, PlanSort.Created, PlanSort.Updated];

    public static void MapPlansApi(this RouteGroupBuilder api)
    {
        var plans = api.MapGroup("/plans").WithTags("Plans");
        plans.MapGet("/", ListAsync).WithName("ListPlans").WithSummary("List patch plans").Produces<ApiPage<PlanRow>>().WithProblems(400);
        plans.MapGet("/{id:guid}", GetAsync).WithName("GetPlan").WithSummary("One plan with its decisions, timeline and runs")
            .Produces<PlanDetail>().WithProblems(404);
        plans.MapGet("/{id:guid}/manifest", ManifestAsync).WithName("GetPlanManifest")
            .WithSummary("The last dry run's answer: one row per package change per host, or the host's error")
            .Produces<ApiPage<ManifestRow>>().WithProblems(400, 404);
        plans.MapGet("/{id:guid}/dry-run", DryRunStatusAsync).WithName("GetPlanDryRun").WithSummary("The dry run's progress, or its summary")
            .Produces<DryRunStatus>().WithProblems(404);
        plans.MapPost("/", CreateAsync).RequireAuthorization(ApiPolicies.Write).WithName("CreatePlan").WithSummary("Create a draft plan")
            .Produces<PlanDetail>(StatusCodes.Status201Created).WithProblems(400, 413, 422);
        plans.MapPut("/{id:guid}", UpdateAsync).RequireAuthorization(ApiPolicies.Write).WithName("UpdatePlan")
            .WithSummary("Change a plan (a new revision; approvals of the old one stop counting)")
            .Produces<PlanActionAnswer>().WithProblems(400, 404, 409, 413, 422);
        plans.MapPost("/{id:guid}/dry-run", DryRunAsync).RequireAuthorization(ApiPolicies.Write).WithName("DryRunPlan")
            .WithSummary("Ask every target host's agent what the plan would change; 202 and poll GET …/dry-run, or ?wait=true")
            .Produces<DryRunStatus>(StatusCodes.Status202Accepted).Produces<DryRunStatus>().WithProblems(404, 409);
        plans.MapPost("/{id:guid}/submit", SubmitAsync).RequireAuthorization(ApiPolicies.Write).WithName("SubmitPlan")
            .WithSummary("Submit the dry-run revision for approval").Produces<PlanActionAnswer>().WithProblems(400, 404, 409, 422);
        plans.MapPost("/{id:guid}/approve", ApproveAsync).RequireAuthorization(ApiPolicies.Approve).WithName("ApprovePlan")
            .WithSummary("Approve the revision you read (never your own plan)").Produces<PlanActionAnswer>().WithProblems(400, 404, 409, 422);
        plans.MapPost("/{id:guid}/reject", RejectAsync).RequireAuthorization(ApiPolicies.Approve).WithName("RejectPlan")
            .WithSummary("Reject the revision you read, saying why").Produces<PlanActionAnswer>().WithProblems(400, 404, 409, 422);
        plans.MapPost("/{id:guid}/cancel", CancelAsync).RequireAuthorization(ApiPolicies.Write).WithName("CancelPlan")
            .WithSummary("Cancel a plan that is not running, with a reason").Produces<PlanActionAnswer>().WithProblems(400, 404, 409, 422);
    }

    private static async Task<IResult> ListAsync(
        PlanQueries queries,
        HttpContext context,
        [Description("Part of a name or description")] string? q,
        [Description("draft, pendingApproval, approved, rejected, scheduled, running, succeeded, partiallyFailed, failed, cancelled or expired")] string? state,
        [Description("The requester's user name")] string? requestedBy,
        [Description("Only plans the caller may still approve")] bool? waitingForMe,
        [Description("name, state, requestedBy, createdAt or updatedAt (default: updatedAt, newest first)")] string? sort,
        bool? desc,
        int? page,
        int? pageSize,
        CancellationToken cancellationToken)
    {
        var (paging, error) = ApiPaging.Read(page, pageSize);
        var (wanted, stateError) = ApiQuery.Enum<PlanState>(state, nameof(state));
        var (by, sortError) = ApiPaging.Sort(sort, Sorts);
        if ((error ?? stateError ?? sortError) is { } bad)
        {
            return ApiProblems.BadRequest(bad);
        }

        var filter = new PlanFilter(q, wanted, requestedBy, waitingForMe == true ? ApiActor.Of(context).Name : null);
        var result = await queries.GetPageAsync(filter, new PlanSort(by, desc ?? false), paging.Index, paging.PageSize, cancellationToken);
        return TypedResults.Ok(paging.Of(result.Items, result.Total));
    }

    private static async Task<IResult> GetAsync(Guid id, PlanQueries queries, CancellationToken cancellationToken) =>
        await queries.GetDetailAsync(id, cancellationToken) is { } plan ? TypedResults.Ok(plan) : NotFound(id);

    private static async Task<IResult> ManifestAsync(Guid id, PlanQueries queries, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var (paging, error) = ApiPaging.Read(page, pageSize);
        if (error is not null)
        {
            return ApiProblems.BadRequest(error);
        }

        if (await queries.GetDetailAsync(id, cancellationToken) is null)
        {
            return NotFound(id);
        }

        var rows = await queries.GetManifestAsync(id, cancellationToken);
        return TypedResults.Ok(paging.Of(rows.Skip(paging.Index * paging.PageSize).Take(paging.PageSize).ToList(), rows.Count));
    }

    private static async Task<IResult> DryRunStatusAsync(Guid id, PlanQueries queries, DryRunBoard board, CancellationToken cancellationToken) =>
        await StatusAsync(id, queries, board, null, cancellationToken) is { } status ? TypedResults.Ok(status) : NotFound(id);

    private static async Task<IResult> CreateAsync(PlanWrite body, PlanService plans, PlanQueries queries, HttpContext context, CancellationToken cancellationToken)
    {
        if (body.Revision is not null)
        {
            return ApiProblems.Invalid(nameof(PlanWrite.Revision), "A new plan has no revision yet: leave revision out.");
        }

        var result = await plans.CreateAsync(body.ToInput(), ApiActor.Of(context), cancellationToken);
        if (!result.Succeeded || result.PlanId is not { } id)
        {
            return Refused(result);
        }

        return TypedResults.Created($"{ApiExtensions.Prefix}/plans/{id}", await queries.GetDetailAsync(id, cancellationToken));
    }

    private static async Task<IResult> UpdateAsync(Guid id, PlanWrite body, PlanService plans, PlanQueries queries, HttpContext context, CancellationToken cancellationToken)
    {
        if (body.Revision is not { } revision)
        {
            return ApiProblems.Invalid(nameof(PlanWrite.Revision), "Say which revision you changed (the plan's revision when you read it).");
        }

        return await AnswerAsync(id, await plans.UpdateAsync(id, body.ToInput(), revision, ApiActor.Of(context), cancellationToken), queries, cancellationToken);
    }

    private static async Task<IResult> DryRunAsync(
        Guid id,
        PlanDryRun dryRuns,
        PlanQueries queries,
        DryRunBoard board,
        HttpContext context,
        IHostApplicationLifetime lifetime,
        ILoggerFactory logs,
        [Description("true: answer when every host has answered (200) instead of at once (202)")] bool? wait,
        CancellationToken cancellationToken)
    {
        // The dry run belongs to the portal, not to the request: a script that stops waiting does not stop it.
        var start = await dryRuns.StartAsync(id, ApiActor.Of(context), lifetime.ApplicationStopping);
        if (start.Refusal is { } refusal)
        {
            return Refused(refusal);
        }

        var completion = start.Completion!;
        if (wait == true)
        {
            var done = await completion.WaitAsync(cancellationToken);
            var status = await StatusAsync(id, queries, board, done.Succeeded ? done.Notice : done.Error, cancellationToken);
            return done.Succeeded ? TypedResults.Ok(status) : Refused(done);
        }

        var logger = logs.CreateLogger(typeof(PlansApi).FullName!);
        _ = completion.ContinueWith(t => PlansLog.DryRunCrashed(logger, id, t.Exception!), CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return TypedResults.Accepted($"{ApiExtensions.Prefix}/plans/{id}/dry-run", await StatusAsync(id, queries, board, null, cancellationToken));
    }

    private static async Task<IResult> SubmitAsync(Guid id, PlanSubmitWrite body, PlanService plans, PlanQueries queries, HttpContext context, CancellationToken cancellationToken)
    {
        if (body.Revision is not { } revision)
        {
            return ApiProblems.Invalid(nameof(PlanSubmitWrite.Revision), "Say which revision you submit.");
        }

        return await AnswerAsync(id, await plans.SubmitAsync(id, revision, ApiActor.Of(context), cancellationToken), queries, cancellationToken);
    }

    private static async Task<IResult> ApproveAsync(Guid id, PlanDecisionWrite body, PlanService plans, PlanQueries queries, HttpContext context, CancellationToken cancellationToken)
    {
        if (body.Revision is not { } revision)
        {
            return ApiProblems.Invalid(nameof(PlanDecisionWrite.Revision), "Say which revision you approve.");
        }

        return await AnswerAsync(id, await plans.ApproveAsync(id, revision, body.Comment, ApiActor.Of(context), cancellationToken), queries, cancellationToken);
    }

    private static async Task<IResult> RejectAsync(Guid id, PlanDecisionWrite body, PlanService plans, PlanQueries queries, HttpContext context, CancellationToken cancellationToken)
    {
        if (body.Revision is not { } revision)
        {
            return ApiProblems.Invalid(nameof(PlanDecisionWrite.Revision), "Say which revision you reject.");
        }

        return await AnswerAsync(id, await plans.RejectAsync(id, revision, body.Comment, ApiActor.Of(context), cancellationToken), queries, cancellationToken);
    }

    private static async Task<IResult> CancelAsync(Guid id, PlanCancelWrite body, PlanService plans, PlanQueries queries, HttpContext context, CancellationToken cancellationToken) =>
        await AnswerAsync(id, await plans.CancelAsync(id, body.Reason, ApiActor.Of(context), cancellationToken), queries, cancellationToken);

    private static async Task<IResult> AnswerAsync(Guid id, PlanResult result, PlanQueries queries, CancellationToken cancellationToken)
    {
        if (!result.Succeeded)
        {
            return Refused(result);
        }

        return await queries.GetDetailAsync(id, cancellationToken) is { } plan ? TypedResults.Ok(new PlanActionAnswer(result.Notice, plan)) : NotFound(id);
    }

    /// <summary>The dry run's progress from the board, or the stored manifest's summary; null when the plan does not exist.</summary>
    private static async Task<DryRunStatus?> StatusAsync(Guid id, PlanQueries queries, DryRunBoard board, string? message, CancellationToken cancellationToken)
    {
        if (await queries.GetDetailAsync(id, cancellationToken) is not { } plan)
        {
            return null;
        }

        var rows = await queries.GetManifestAsync(id, cancellationToken);
        var hosts = rows.GroupBy(r => r.HostId).ToList();
        var progress = board.Get(id);
        return new DryRunStatus(
            progress is not null, progress?.Done ?? 0, progress?.Total ?? 0, progress?.StartedBy, progress?.StartedAt,
            plan.ManifestRevision, plan.ManifestIsCurrent, plan.ManifestCheckedAt,
            hosts.Count, rows.Count(r => r.Package is not null), hosts.Count(h => h.Any(r => r.Failed)), hosts.Count(h => h.Any(r => r.RebootExpected)),
            message);
    }

    private static IResult Refused(PlanResult result) =>
        ApiResults.Refused(result.Status, result.Error, result.FieldErrors.Count > 0 ? result.FieldErrors : null);

    private static ProblemHttpResult NotFound(Guid id) => ApiProblems.NotFound($"There is no plan {id}.");
}
