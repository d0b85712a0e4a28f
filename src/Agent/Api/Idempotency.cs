using System.Buffers;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;

namespace PatchPortal.Agent.Api;

/// <summary>
/// The <c>Idempotency-Key</c> request header (**ext**) on the requests that start a job. The first request with a key
/// starts the job as usual; a later one with the same key, for the same operation, is answered 202 with that job as it
/// is now (and <c>Idempotent-Replayed: true</c>), without being validated or run again: the packages it named may
/// no longer be pending precisely because the first one ran. The same key for another operation is a 409.
/// </summary>
internal static class Idempotency
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxLength = 128;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._:~/");

    /// <summary>
    /// The request's key in <paramref name="key"/> (null without the header), or the answer to give instead: a refusal
    /// of a malformed key, or the replay of the job an earlier request with the key started.
    /// </summary>
    public static IResult? Answer(HttpContext context, IJobManager jobs, string operation, out string? key)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(jobs);
        key = null;
        var values = context.Request.Headers[Header];
        if (values.Count == 0)
        {
            return null;
        }

        if (values.Count > 1 || values[0] is not { Length: > 0 and <= MaxLength } value || value.AsSpan().ContainsAnyExcept(Allowed))
        {
            return Envelope.Invalid(Header, $"{Header} must be one value of 1 to {MaxLength} characters from A-Z a-z 0-9 - . _ : ~ /");
        }

        key = value;
        if (jobs.FindByIdempotencyKey(value) is not { } earlier)
        {
            return null;
        }

        if (earlier.Job.Operation != operation)
        {
            return Envelope.Error(StatusCodes.Status409Conflict, ErrorCodes.JobConflict,
                $"{Header} '{value}' already started a {earlier.Job.Operation} job ({earlier.Job.JobId}); use a new key for a new request",
                new Dictionary<string, object?> { ["job_id"] = earlier.Job.JobId });
        }

        context.Response.Headers[ReplayedHeader] = "true";
        return Envelope.Accepted(earlier.Job.ToAccepted(earlier.Request));
    }
}
