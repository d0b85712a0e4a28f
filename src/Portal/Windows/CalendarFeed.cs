using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;
using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Windows;

/// <summary>
/// The iCalendar (RFC 5545) feeds, written by Ical.Net: each recurring window as one VEVENT with its RRULE, EXDATEs and
/// the VTIMEZONE of its zone, so Outlook, Thunderbird and Google expand it as the portal does; blackouts as plain
/// VEVENTs in UTC. UIDs are derived from ids, so subscribers update events instead of duplicating them.
/// </summary>
public sealed class CalendarFeed(IDbContextFactory<PortalDbContext> factory)
{
    public const string ContentType = "text/calendar; charset=utf-8";
    private const string ProductId = "-//PatchPortal//Maintenance calendar//EN";

    /// <summary>Every enabled window and every blackout.</summary>
    public async Task<string> AllAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var windows = await WindowCatalog.WithTargets(db.MaintenanceWindows.AsNoTracking().Where(w => w.Enabled)).OrderBy(w => w.Name).ToListAsync(cancellationToken);
        var blackouts = await BlackoutCatalog.WithTargets(db.Blackouts.AsNoTracking()).OrderBy(b => b.StartsAt).ToListAsync(cancellationToken);
        return Serialize("PatchPortal maintenance", windows, blackouts);
    }

    /// <summary>One window (enabled or not: a disabled window's feed is empty of events), or null when it does not exist.</summary>
    public async Task<string?> WindowAsync(Guid windowId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var window = await WindowCatalog.WithTargets(db.MaintenanceWindows.AsNoTracking()).SingleOrDefaultAsync(w => w.Id == windowId, cancellationToken);
        return window is null ? null : Serialize(window.Name, window.Enabled ? [window] : [], []);
    }

    internal static string Serialize(string name, IReadOnlyList<MaintenanceWindow> windows, IReadOnlyList<Blackout> blackouts)
    {
        var calendar = new Calendar { ProductId = ProductId, Method = "PUBLISH" };
        calendar.AddProperty("X-WR-CALNAME", name);

        foreach (var zone in windows.GroupBy(w => w.TimeZoneId, StringComparer.Ordinal))
        {
            // The VTIMEZONE must cover the earliest DTSTART that uses it, or clients guess the offsets of early occurrences.
            calendar.AddTimeZone(zone.Key, zone.Min(w => w.StartLocal), includeHistoricalData: false);
        }

        foreach (var window in windows)
        {
            CalendarEvent calendarEvent;
            try
            {
                calendarEvent = WindowCalendar.ToEvent(window);
            }
            catch (ArgumentException)
            {
                // Validation keeps unreadable rules out; one edited by hand must not take the whole feed down.
                continue;
            }

            calendarEvent.Description = Describe(window);
            calendarEvent.LastModified = Utc(window.UpdatedAt);
            calendarEvent.DtStamp = Utc(window.UpdatedAt);
            calendarEvent.Categories.Add("Maintenance window");
            calendar.Events.Add(calendarEvent);
        }

        foreach (var blackout in blackouts)
        {
            var calendarEvent = new CalendarEvent
            {
                Uid = $"blackout-{blackout.Id:N}@patchportal",
                Summary = $"Blackout: {blackout.Name}",
                Description = (blackout.Reason is null ? "" : blackout.Reason.TrimEnd('.') + ". ")
                    + $"No patching starts in this span. Applies to {BlackoutCatalog.Describe(blackout)}.",
                DtStart = Utc(blackout.StartsAt),
                DtEnd = Utc(blackout.EndsAt),
                DtStamp = Utc(blackout.CreatedAt),
                Transparency = "TRANSPARENT",
            };
            calendarEvent.Categories.Add("Blackout");
            calendar.Events.Add(calendarEvent);
        }

        return new CalendarSerializer().SerializeToString(calendar) ?? "";
    }

    private static string Describe(MaintenanceWindow window)
    {
        var targets = TargetText.Describe(window.TargetGroups.Select(g => g.Name), window.TargetTags.Select(t => t.Name), window.TargetHosts.Select(h => h.Name));
        var text = $"Maintenance window for {targets}.";
        if (window.CutoffMinutes > 0)
        {
            text += $" No host starts in the last {WindowRules.Minutes(window.CutoffMinutes)}.";
        }

        return string.IsNullOrWhiteSpace(window.Description) ? text : window.Description.Trim() + "\n" + text;
    }

    private static CalDateTime Utc(DateTimeOffset instant) => new(instant.UtcDateTime, CalDateTime.UtcTzId);
}
