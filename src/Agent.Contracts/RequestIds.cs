namespace PatchPortal.Agent.Contracts;

/// <summary>
/// The request id that joins a change's log lines across portal and agent: the rule a caller's <c>X-Request-Id</c> must
/// meet to be kept (anything else is replaced by a fresh id), shared by both so an id the portal keeps the agent keeps too.
/// </summary>
public static class RequestIds
{
    public const string Header = "X-Request-Id";

    /// <summary>Longest id kept: enough for a UUID with a prefix, short enough for a log line and an audit column.</summary>
    public const int MaxLength = 64;

    /// <summary>True for 1 to <see cref="MaxLength"/> characters of A-Z a-z 0-9 and <c>. _ : -</c> (nothing a log or a header could misread).</summary>
    public static bool IsWellFormed(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A fresh id: 32 hex digits (128 random bits), like a W3C trace id.</summary>
    /// <remarks>
    /// Unique, not secret: ids name requests in logs and answers and guard nothing, so they come from the shared
    /// pseudo-random generator. <c>Guid.NewGuid</c> asks the kernel for entropy (a <c>getrandom</c> system call) every
    /// time: that was about 3% of the agent's CPU per <c>/health</c> request under load (docs/benchmarks.md).
    /// </remarks>
    public static string New() => string.Create(32, 0, static (chars, _) =>
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes);
        Convert.TryToHexStringLower(bytes, chars, out _);
    });

    /// <summary>The caller's id when it is well-formed, otherwise a fresh one.</summary>
    public static string From(string? incoming) => IsWellFormed(incoming) ? incoming! : New();
}
