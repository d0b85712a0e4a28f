using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Windows;

/// <summary>A window or blackout was created, changed or deleted.</summary>
public sealed record CalendarChanged(Guid Id, string What);

/// <summary>
/// In-process fan-out of window and blackout changes, so open lists and calendars redraw without a reload.
/// Components subscribe in OnInitialized, call InvokeAsync from the handler and dispose the subscription.
/// </summary>
public sealed class CalendarChangeHub : EventHub<CalendarChanged>;
