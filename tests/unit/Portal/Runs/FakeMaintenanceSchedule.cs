using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Tests.Unit.Portal.Runs;

/// <summary>
/// A maintenance schedule with occurrences a test lists per window (the real expansion of recurrence rules is the
/// windows feature's and has its own tests).
/// </summary>
internal sealed class FakeMaintenanceSchedule : IMaintenanceSchedule
{
    private readonly Dictionary<Guid, List<WindowOccurrence>> _occurrences = [];

    public void Add(MaintenanceWindow window, DateTimeOffset start, TimeSpan duration, TimeSpan cutoff)
    {
        if (!_occurrences.TryGetValue(window.Id, out var list))
        {
            _occurrences[window.Id] = list = [];
        }

        list.Add(new WindowOccurrence(window.Id, window.Name, window.TimeZoneId, start, start + duration, start + duration - cutoff));
        list.Sort((a, b) => a.Start.CompareTo(b.Start));
    }

    public IReadOnlyList<WindowOccurrence> Occurrences(MaintenanceWindow window, DateTimeOffset rangeStart, DateTimeOffset rangeEnd) =>
        For(window).Where(o => o.End > rangeStart && o.Start < rangeEnd).ToList();

    public WindowOccurrence? NextOccurrence(MaintenanceWindow window, DateTimeOffset after) => For(window).FirstOrDefault(o => o.End > after);

    public WindowOccurrence? OccurrenceStartingAt(MaintenanceWindow window, DateTimeOffset start) => For(window).FirstOrDefault(o => o.Start == start);

    private List<WindowOccurrence> For(MaintenanceWindow window) => _occurrences.TryGetValue(window.Id, out var list) ? list : [];
}
