using Microsoft.Extensions.Logging;
using PatchPortal.Agent.Machine;

namespace PatchPortal.Agent.Packages;

/// <summary>Source-generated log messages of the package backends.</summary>
internal static partial class PackagesLog
{
    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Package state changed; rebuilding the {Backend} package snapshot")]
    public static partial void SnapshotRebuilt(ILogger logger, string backend);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Running {Command}")]
    public static partial void RunningCommand(ILogger logger, CommandSpec command);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "{Command} failed with exit code {ExitCode}: {ErrorCode} {Message}")]
    public static partial void CommandFailed(ILogger logger, CommandSpec command, int exitCode, string errorCode, string? message);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Packages {Packages} are not in the package lists; refreshing them first")]
    public static partial void RefreshingLists(ILogger logger, IEnumerable<string> packages);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Simulated state file {Path} is unreadable; starting from the generated package set")]
    public static partial void SimulatedStateUnreadable(ILogger logger, string path, Exception exception);
}
