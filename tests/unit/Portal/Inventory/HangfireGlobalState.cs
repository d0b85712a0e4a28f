namespace PatchPortal.Tests.Unit.Portal.Inventory;

/// <summary>
/// Tests that touch Hangfire, which keeps process-wide state (its log provider is set by AddHangfire to the host's
/// logger factory): they run one at a time, and tests that start a host reset that state when the host is gone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HangfireGlobalState
{
    public const string Name = "hangfire";

    /// <summary>Forgets the logger factory of a stopped host, which Hangfire would otherwise keep using.</summary>
    public static void Reset() => Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
}
