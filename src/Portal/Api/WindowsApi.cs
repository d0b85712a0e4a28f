using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Portal.Api;

/// <summary>The targets of a window or blackout as scripts write them: ids of groups, tags and hosts.</summary>
public sealed record TargetsWrite(IReadOnlyList<Guid>? GroupIds, IReadOnlyList<Guid>? TagIds, IReadOnlyList<Guid>? HostIds)
{
    public TargetSet ToSet() => new(GroupIds ?? [], TagIds ?? [], HostIds ?? []);
}

/// <summary>A maintenance window as scripts write it: the same fields as the window form.</summary>
public sealed record WindowWrite(
    [property: Description("Window name, unique")] string? Name,
    string? Description,
    [property: Description("IANA time zone id, e.g. Europe/Berlin")] string? TimeZoneId,
    [property: Description("First start, wall-clock time in the window's zone (no offset), e.g. 2030-01-05T02:00:00")] DateTime? StartLocal,
    [property: Description("Length in minutes")] int? DurationMinutes,
    [property: Description("No new host starts in the last N minutes (0 = none)")] int? CutoffMinutes,
    [property: Description("iCalendar RRULE, e.g. FREQ=WEEKLY;BYDAY=SA; empty or absent = one-off")] string? RecurrenceRule,
    [property: Description("Local dates on which the window does not take place")] IReadOnlyList<DateOnly>? ExclusionDates,
    [property: Description("Default true")] bool? Enabled,
    TargetsWrite? Targets)
{
    public WindowInput ToInput() => new(Name ?? "", Description, TimeZoneId ?? "", StartLocal ?? default, DurationMinutes ?? 0, CutoffMinutes ?? 0,
        RecurrenceRule, ExclusionDates ?? [], Enabled ?? true, Targets?.ToSet() ?? TargetSet.Empty);
}

/// <summary>A blackout as scripts write it: no patching anywhere it applies, from start to end.</summary>
public sealed record BlackoutWrite(
    [property: Description("Blackout name")] string? Name,
    string? Reason,
    DateTimeOffset? StartsAt,
    DateTimeOffset? EndsAt,
    [property: Description("True: every host; false: only the targets")] bool? AppliesToAll,
    TargetsWrite? Targets)
{
    public BlackoutInput ToInput() => new(Name ?? "", Reason, StartsAt ?? default, EndsAt ?? default, AppliesToAll ?? false, Targets?.ToSet() ?? TargetSet.Empty);
}

/// <summary><c>/api/v1/windows</c> and <c>/api/v1/blackouts</c>: the calendar's windows (with their occurrences) and blackouts.</summary>
public static class WindowsApi
{
    /// <summary>The longest range one occurrences request may span.</summary>
    public const int MaxOccurrenceRangeDays = 366;

    private static readonly string[] WindowSorts = [WindowCatalog.SortName, WindowCatalog.SortZone, WindowCatalog.SortDuration, WindowCatalog.SortEnabled];
    private static readonly string[] BlackoutSorts = [BlackoutCatalog.SortName, BlackoutCatalog.SortStart, BlackoutCatalog.SortEnd];

    public static void MapWindowsApi(this RouteGroupBuilder api)
    {
        var windows = api.MapGroup("/windows").WithTags("Windows");
        windows.MapGet("/", ListAsync).WithName("ListWindows").WithSummary("List maintenance windows with their next occurrence")
            .Produces<ApiPage<WindowRow>>().WithProblems(400);
        windows.MapGet("/{id:guid}", GetAsync).WithName("GetWindow").WithSummary("One window").Produces<WindowDetails>().WithProblems(404);
        windows.MapGet("/{id:guid}/occurrences", OccurrencesAsync).WithName("ListWindowOccurrences")
            .WithSummary($"A window's occurrences overlapping [from, to) (at most {MaxOccurrenceRangeDays} days), in UTC with the window's zone")
            .Produces<IReadOnlyList<WindowOccurrence>>().WithProblems(400, 404);
        windows.MapPost("/", CreateAsync).RequireAuthorization(ApiPolicies.Write).WithName("CreateWindow").WithSummary("Create a window")
            .Produces<WindowDetails>(StatusCodes.Status201Created).WithProblems(400, 409, 413, 422);
        windows.MapPut("/{id:guid}", UpdateAsync).RequireAuthorization(ApiPolicies.Write).WithName("UpdateWindow").WithSummary("Change a window")
            .Produces<WindowDetails>().WithProblems(400, 404, 409, 413, 422);
        windows.MapDelete("/{id:guid}", DeleteAsync).RequireAuthorization(ApiPolicies.Write).WithName("DeleteWindow")
            .WithSummary("Delete a window no plan uses").Produces(StatusCodes.Status204NoContent).WithProblems(404, 409);

        var blackouts = api.MapGroup("/blackouts").WithTags("Windows");
        blackouts.MapGet("/", ListBlackoutsAsync).WithName("ListBlackouts").WithSummary("List blackouts")
            .Produces<ApiPage<BlackoutRow>>().WithProblems(400);
        blackouts.MapGet("/{id:guid}", GetBlackoutAsync).WithName("GetBlackout").WithSummary("One blackout").Produces<BlackoutDetails>().WithProblems(404);
        blackouts.MapPost("/", CreateBlackoutAsync).RequireAuthorization(ApiPolicies.Write).WithName("CreateBlackout").WithSummary("Create a blackout")
            .Produces<BlackoutDetails>(StatusCodes.Status201Created).WithProblems(400, 409, 413, 422);
        blackouts.MapPut("/{id:guid}", UpdateBlackoutAsync).RequireAuthorization(ApiPolicies.Write).WithName("UpdateBlackout").WithSummary("Change a blackout")
            .Produces<BlackoutDetails>().WithProblems(400, 404, 409, 413, 422);
        blackouts.MapDelete("/{id:guid}", DeleteBlackoutAsync).RequireAuthorization(ApiPolicies.Write).WithName("DeleteBlackout")
            .WithSummary("Delete a blackout").Produces(StatusCodes.Status204NoContent).WithProblems(404);
    }

    private static async Task<IResult> ListAsync(
        WindowCatalog catalog,
        [Description("Part of a name or description")] string? q,
        [Description("IANA time zone id")] string? zone,
        [Description("Only windows targeting this group")] Guid? groupId,
        [Description("name, timeZoneId, durationMinutes or enabled")] string? sort,
        bool? desc,
        int? page,
        int? pageSize,
        CancellationToken cancellationToken)
    {
        var (paging, error) = ApiPaging.Read(page, pageSize);
        if (error is not null)
        {
            return ApiProblems.BadRequest(error);
        }

        var (by, sortError) = ApiPaging.Sort(sort, WindowSorts);
        if (sortError is not null)
        {
            return ApiProblems.BadRequest(sortError);
        }

        var result = await catalog.GetPageAsync(new WindowFilter(q, zone, groupId), by, desc ?? false, paging.Index, paging.PageSize, cancellationToken);
        return TypedResults.Ok(paging.Of(result.Items, result.Total));
    }

    private static async Task<IResult> GetAsync(Guid id, WindowCatalog catalog, CancellationToken cancellationToken) =>
        await catalog.GetAsync(id, cancellationToken) is { } window ? TypedResults.Ok(window) : WindowNotFound(id);

    private static async Task<IResult> OccurrencesAsync(
        Guid id,
        WindowCatalog catalog,
        IMaintenanceSchedule schedule,
        TimeProvider time,
        [Description("Range start (RFC 3339); default now")] DateTimeOffset? from,
        [Description("Range end (RFC 3339); default 30 days after from")] DateTimeOffset? to,
        CancellationToken cancellationToken)
    {
        var start = from ?? time.GetUtcNow();
        var end = to ?? start.AddDays(30);
        if (end <= start)
        {
            return ApiProblems.BadRequest("to must be after from.");
        }

        if (end - start > TimeSpan.FromDays(MaxOccurrenceRangeDays))
        {
            return ApiProblems.BadRequest($"The range may span at most {MaxOccurrenceRangeDays} days.");
        }

        if (await catalog.FindAsync(id, cancellationToken) is not { } window)
        {
            return WindowNotFound(id);
        }

        return TypedResults.Ok(schedule.Occurrences(window, start, end));
    }

    private static async Task<IResult> CreateAsync(WindowWrite body, WindowCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        var result = await catalog.CreateAsync(body.ToInput(), ApiActor.Of(context), cancellationToken);
        if (!result.Succeeded || result.Id is not { } id)
        {
            return Refused(result);
        }

        return TypedResults.Created($"{ApiExtensions.Prefix}/windows/{id}", await catalog.GetAsync(id, cancellationToken));
    }

    private static async Task<IResult> UpdateAsync(Guid id, WindowWrite body, WindowCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        if (await catalog.GetAsync(id, cancellationToken) is null)
        {
            return WindowNotFound(id);
        }

        var result = await catalog.UpdateAsync(id, body.ToInput(), ApiActor.Of(context), cancellationToken);
        if (!result.Succeeded)
        {
            return Refused(result);
        }

        return await catalog.GetAsync(id, cancellationToken) is { } window ? TypedResults.Ok(window) : WindowNotFound(id);
    }

    private static async Task<IResult> DeleteAsync(Guid id, WindowCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        var result = await catalog.DeleteAsync(id, ApiActor.Of(context), cancellationToken);
        return result.Succeeded ? TypedResults.NoContent() : Refused(result);
    }

    private static async Task<IResult> ListBlackoutsAsync(
        BlackoutCatalog catalog,
        [Description("Part of a name or reason")] string? q,
        [Description("name, startsAt or endsAt")] string? sort,
        bool? desc,
        int? page,
        int? pageSize,
        CancellationToken cancellationToken)
    {
        var (paging, error) = ApiPaging.Read(page, pageSize);
        if (error is not null)
        {
            return ApiProblems.BadRequest(error);
        }

        var (by, sortError) = ApiPaging.Sort(sort, BlackoutSorts);
        if (sortError is not null)
        {
            return ApiProblems.BadRequest(sortError);
        }

        var result = await catalog.GetPageAsync(q, by, desc ?? false, paging.Index, paging.PageSize, cancellationToken);
        return TypedResults.Ok(paging.Of(result.Items, result.Total));
    }

    private static async Task<IResult> GetBlackoutAsync(Guid id, BlackoutCatalog catalog, CancellationToken cancellationToken) =>
        await catalog.GetAsync(id, cancellationToken) is { } blackout ? TypedResults.Ok(blackout) : BlackoutNotFound(id);

    private static async Task<IResult> CreateBlackoutAsync(BlackoutWrite body, BlackoutCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        var result = await catalog.CreateAsync(body.ToInput(), ApiActor.Of(context), cancellationToken);
        if (!result.Succeeded || result.Id is not { } id)
        {
            return Refused(result);
        }

        return TypedResults.Created($"{ApiExtensions.Prefix}/blackouts/{id}", await catalog.GetAsync(id, cancellationToken));
    }

    private static async Task<IResult> UpdateBlackoutAsync(Guid id, BlackoutWrite body, BlackoutCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        if (await catalog.GetAsync(id, cancellationToken) is null)
        {
            return BlackoutNotFound(id);
        }

        var result = await catalog.UpdateAsync(id, body.ToInput(), ApiActor.Of(context), cancellationToken);
        if (!result.Succeeded)
        {
            return Refused(result);
        }

        return await catalog.GetAsync(id, cancellationToken) is { } blackout ? TypedResults.Ok(blackout) : BlackoutNotFound(id);
    }

    private static async Task<IResult> DeleteBlackoutAsync(Guid id, BlackoutCatalog catalog, HttpContext context, CancellationToken cancellationToken)
    {
        var result = await catalog.DeleteAsync(id, ApiActor.Of(context), cancellationToken);
        return result.Succeeded ? TypedResults.NoContent() : Refused(result);
    }

    private static IResult Refused(CalendarChangeResult result) =>
        ApiResults.Refused(result.Status, result.Error, result.FieldErrors.Count > 0 ? result.FieldErrors : null);

    private static ProblemHttpResult WindowNotFound(Guid id) => ApiProblems.NotFound($"There is no window {id}.");

    private static ProblemHttpResult BlackoutNotFound(Guid id) => ApiProblems.NotFound($"There is no blackout {id}.");
}
