namespace PatchPortal.Portal.Windows;

internal static partial class WindowsLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Window {WindowId} ({WindowName}) cannot be expanded and has no occurrences: {Reason}")]
    public static partial void CannotExpand(ILogger logger, Guid windowId, string windowName, string reason);
}
