namespace PatchPortal.Portal.Data.Entities;

/// <summary>
/// An entity guarded by optimistic concurrency: the context gives it a new stamp on every update, so a writer
/// that read an older version gets a <c>DbUpdateConcurrencyException</c> instead of overwriting a newer one.
/// </summary>
public interface IConcurrencyStamped
{
    Guid ConcurrencyStamp { get; set; }
}
