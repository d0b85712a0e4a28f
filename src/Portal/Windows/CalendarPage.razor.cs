using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Windows;

/// <summary>
/// Month and week views of every window occurrence and blackout in the viewer's zone. View, date and group filter live
/// in the URL; the page redraws when a window or blackout changes anywhere.
/// </summary>
public sealed partial class CalendarPage : IDisposable
{
    private CalendarGrid? _grid;
    private TimeZoneInfo? _zone;
    private DateOnly _today;
    private Guid? _group;
    private IReadOnlyList<CalendarEntry> _entries = [];
    private IReadOnlyList<TargetOption> _groups = [];
    private IDisposable? _subscription;

    [Inject]
    private CalendarQuery Query { get; set; } = default!;

    [Inject]
    private CalendarChangeHub Changes { get; set; } = default!;

    [Inject]
    private BrowserTimeZone BrowserZone { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "view")]
    public string? View { get; set; }

    [SupplyParameterFromQuery(Name = "date")]
    public string? Date { get; set; }

    [SupplyParameterFromQuery(Name = "group")]
    public Guid? Group { get; set; }

    protected override void OnInitialized() =>
        _subscription = Changes.Subscribe(change => _ = InvokeAsync(async () =>
        {
            await LoadAsync();
            StateHasChanged();
        }));

    protected override async Task OnParametersSetAsync()
    {
        // The zone comes from the browser after the first render; until then there is nothing to lay out.
        if (_zone is not null)
        {
            await LoadAsync();
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _zone = await BrowserZone.GetAsync();
            _groups = await Query.GetGroupsAsync(CancellationToken.None);
            await LoadAsync();
            StateHasChanged();
        }
    }

    public void Dispose() => _subscription?.Dispose();

    private async Task LoadAsync()
    {
        if (_zone is null)
        {
            return;
        }

        _today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(Time.GetUtcNow(), _zone).DateTime);
        var view = string.Equals(View, "week", StringComparison.OrdinalIgnoreCase) ? CalendarView.Week : CalendarView.Month;
        var anchor = DateOnly.TryParseExact(Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : _today;
        _group = Group;
        _grid = CalendarGrid.Build(view, anchor, _zone);
        _entries = await Query.GetEntriesAsync(_grid.From, _grid.To, _group, CancellationToken.None);
    }

    private List<CalendarEntry> EntriesOn(CalendarDay day) => _entries.Where(e => e.Overlaps(day.From, day.To)).ToList();

    // A day under a blackout is tinted, so the blackout reads as lying over the windows of that day.
    private static string? DayStyle(CalendarDay day, List<CalendarEntry> entries)
    {
        var style = "vertical-align: top; height: 110px";
        if (entries.Exists(e => e.Kind == CalendarEntryKind.Blackout))
        {
            style += "; background-color: var(--mud-palette-error-hover)";
        }
        else if (!day.InFocus)
        {
            style += "; background-color: var(--mud-palette-background-gray)";
        }

        return style;
    }

    private string DayNumberStyle(CalendarDay day) =>
        "display: block" + (day.Date == _today ? "; font-weight: 700" : "") + (day.InFocus ? "" : "; opacity: 0.5");

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private void Navigate(CalendarView view, DateOnly date, Guid? group) =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
        {
            ["view"] = view == CalendarView.Week ? "week" : "month",
            ["date"] = Iso(date),
            ["group"] = group,
        }));

    private Task GoAsync(DateOnly date)
    {
        Navigate(_grid!.View, date, _group);
        return Task.CompletedTask;
    }

    private Task TodayAsync() => GoAsync(_today);

    private Task ShowAsync(CalendarView view)
    {
        Navigate(view, _grid!.Anchor, _group);
        return Task.CompletedTask;
    }

    private Task OnGroupChangedAsync(Guid? group)
    {
        Navigate(_grid!.View, _grid.Anchor, group);
        return Task.CompletedTask;
    }

    private async Task OpenAsync(CalendarEntry entry)
    {
        if (entry.Kind == CalendarEntryKind.Blackout)
        {
            await Dialogs.ShowMessageBoxAsync($"Blackout {entry.Name}",
                $"{WindowTimes.Span(entry.Start, entry.End, _zone!)}. {entry.Detail}. No patching starts on these hosts in this span.", yesText: "Close");
            return;
        }

        var parameters = new DialogParameters<OccurrenceDialog>
        {
            { d => d.WindowId, entry.Id },
            { d => d.Start, entry.Start },
            { d => d.Zone, _zone! },
        };
        await Dialogs.ShowAsync<OccurrenceDialog>(entry.Name, parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseButton = true });
    }
}
