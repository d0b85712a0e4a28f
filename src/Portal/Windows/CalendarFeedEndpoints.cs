using Microsoft.AspNetCore.Http.HttpResults;

namespace PatchPortal.Portal.Windows;

/// <summary>
/// <c>GET /calendar/feed/{token}/calendar.ics</c> and <c>/calendar/feed/{token}/windows/{id}.ics</c>: anonymous (calendar
/// clients send no cookies), authorised by the secret token in the URL alone.
/// </summary>
public static class CalendarFeedEndpoints
{
    public static IEndpointRouteBuilder MapCalendarFeeds(this IEndpointRouteBuilder app)
    {
        var feeds = app.MapGroup("/calendar/feed/{token}").AllowAnonymous().DisableAntiforgery();
        feeds.MapGet("/calendar.ics", AllAsync).WithName("CalendarFeed");
        feeds.MapGet("/windows/{id:guid}.ics", WindowAsync).WithName("WindowFeed");
        return app;
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> AllAsync(
        string token, CalendarFeedTokens tokens, CalendarFeed feed, HttpContext context, CancellationToken cancellationToken)
    {
        if (await tokens.AuthenticateAsync(token, cancellationToken) is null)
        {
            return UnknownToken();
        }

        return Calendar(context, await feed.AllAsync(cancellationToken));
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> WindowAsync(
        string token, Guid id, CalendarFeedTokens tokens, CalendarFeed feed, HttpContext context, CancellationToken cancellationToken)
    {
        if (await tokens.AuthenticateAsync(token, cancellationToken) is null)
        {
            return UnknownToken();
        }

        return await feed.WindowAsync(id, cancellationToken) is { } text
            ? Calendar(context, text)
            : TypedResults.Problem(title: "Window not found", detail: "There is no maintenance window with this id.", statusCode: StatusCodes.Status404NotFound);
    }

    // The same answer for a token that never existed, was regenerated, or belongs to a locked-out user.
    private static ProblemHttpResult UnknownToken() =>
        TypedResults.Problem(title: "Calendar feed not found", detail: "This feed URL is unknown or no longer valid; copy a new one from the calendar page.",
            statusCode: StatusCodes.Status404NotFound);

    private static ContentHttpResult Calendar(HttpContext context, string text)
    {
        // The URL is the credential: keep responses out of shared caches.
        context.Response.Headers.CacheControl = "private, no-store";
        return TypedResults.Text(text, CalendarFeed.ContentType, System.Text.Encoding.UTF8);
    }
}
