using System.Collections.Concurrent;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Runs;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Tests.Unit.Portal.Plans;

/// <summary>Stands in for the Runs feature's scheduler: records what the plans asked for, or fails when told to.</summary>
internal sealed class RecordingRunScheduler : IRunScheduler
{
    public ConcurrentQueue<(string Call, Guid PlanId, string Actor)> Calls { get; } = new();

    public Exception? FailScheduleWith { get; set; }

    public IReadOnlyList<string> CallsFor(Guid planId) => Calls.Where(c => c.PlanId == planId).Select(c => c.Call).ToList();

    public Task ScheduleAsync(Guid planId, string actor, CancellationToken cancellationToken)
    {
        Calls.Enqueue(("schedule", planId, actor));
        return FailScheduleWith is { } failure ? Task.FromException(failure) : Task.CompletedTask;
    }

    public Task UnscheduleAsync(Guid planId, string actor, CancellationToken cancellationToken)
    {
        Calls.Enqueue(("unschedule", planId, actor));
        return Task.CompletedTask;
    }
}

/// <summary>
/// Stands in for the Windows feature's schedule (which owns time zones and RRULEs): a window's
/// <see cref="MaintenanceWindow.StartLocal"/> is read as UTC, and it recurs daily when its rule is FREQ=DAILY, else
/// it happens once. Enough to test what plans do with occurrences.
/// </summary>
internal sealed class DailySchedule : IMaintenanceSchedule
{
    public const string Daily = "FREQ=DAILY";

    public IReadOnlyList<WindowOccurrence> Occurrences(MaintenanceWindow window, DateTimeOffset rangeStart, DateTimeOffset rangeEnd) =>
        All(window).SkipWhile(o => o.End <= rangeStart).TakeWhile(o => o.Start < rangeEnd).ToList();

    public WindowOccurrence? NextOccurrence(MaintenanceWindow window, DateTimeOffset after) => All(window).FirstOrDefault(o => o.End > after);

    public WindowOccurrence? OccurrenceStartingAt(MaintenanceWindow window, DateTimeOffset start) =>
        All(window).TakeWhile(o => o.Start <= start).FirstOrDefault(o => o.Start == start);

    private static IEnumerable<WindowOccurrence> All(MaintenanceWindow window)
    {
        var start = new DateTimeOffset(DateTime.SpecifyKind(window.StartLocal, DateTimeKind.Utc));
        var count = window.RecurrenceRule == Daily ? 3650 : 1;
        for (var i = 0; i < count; i++)
        {
            var s = start.AddDays(i);
            var end = s.AddMinutes(window.DurationMinutes);
            yield return new WindowOccurrence(window.Id, window.Name, "UTC", s, end, end.AddMinutes(-window.CutoffMinutes));
        }
    }
}
