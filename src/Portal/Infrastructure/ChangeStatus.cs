namespace PatchPortal.Portal.Infrastructure;

/// <summary>
/// Why a change did or did not happen, in the terms both the UI and the REST API need: a form shows the message,
/// the API maps the status to 200/422/409/404.
/// </summary>
public enum ChangeStatus
{
    Ok,

    /// <summary>The input breaks a rule (a field is empty, too long, refers to something that does not exist).</summary>
    Invalid,

    /// <summary>The input is fine but clashes with the current state (a duplicate name, a stale revision, a wrong state).</summary>
    Conflict,

    /// <summary>The thing to change does not exist (any more).</summary>
    NotFound,

    /// <summary>The user may do this in general but not to this thing (an author approving their own plan).</summary>
    Forbidden,
}
