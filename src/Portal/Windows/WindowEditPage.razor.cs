using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Windows;

/// <summary>
/// The window form: fields validated live by <see cref="WindowRules"/> (messages next to the fields once touched, all
/// of them on save), the recurrence builder, and a preview of the next occurrences with their daylight-saving
/// adjustments, computed by the same <see cref="IMaintenanceSchedule"/> that runs use.
/// </summary>
public sealed partial class WindowEditPage
{
    private const int PreviewCount = 6;

    private static readonly IReadOnlyList<BreadcrumbItem> Trail = [new("Windows", "/windows")];

    private MudForm? _form;
    private bool _loading = true;
    private bool _missing;
    private bool _saving;
    private bool _submitted;
    private string? _serverError;
    private IReadOnlyDictionary<string, string> _serverFieldErrors = new Dictionary<string, string>();

    private string _name = "";
    private string? _description;
    private string? _zone;
    private string? _start;
    private int _duration = 120;
    private int _cutoff = 30;
    private bool _enabled = true;
    private RecurrenceChoice _recurrence = new();
    private readonly HashSet<DateOnly> _exclusions = [];
    private string? _exclusionText;
    private readonly HashSet<Guid> _groups = [];
    private readonly HashSet<Guid> _tags = [];
    private readonly HashSet<Guid> _hosts = [];
    private TargetOptions _options = TargetOptions.None;

    private TimeZoneInfo _viewerZone = TimeZoneInfo.Utc;
    private List<RuleViolation> _violations = [];
    private readonly HashSet<string> _touched = [];
    private IReadOnlyList<WindowOccurrence> _preview = [];

    [Parameter]
    public Guid? Id { get; set; }

    [Inject]
    private WindowCatalog Catalog { get; set; } = default!;

    [Inject]
    private IMaintenanceSchedule Schedule { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Inject]
    private BrowserTimeZone BrowserZone { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private CircuitContext Circuit { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private string ZoneName => WindowRules.IsKnownTimeZone(_zone) ? _zone! : "the window's zone";

    private string? Rule => _recurrence.ToRule(_zone ?? "UTC");

    private string PreviewEmptyText => _violations.Count > 0
        ? "Fix the highlighted fields to see the next occurrences."
        : "The window has no occurrence in the next two years.";

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        _viewerZone = await BrowserZone.GetAsync();
        _options = await Catalog.GetTargetOptionsAsync(CancellationToken.None);
        if (Id is { } id)
        {
            if (await Catalog.GetAsync(id, CancellationToken.None) is not { } details)
            {
                _missing = true;
            }
            else
            {
                Load(details.Input);
            }
        }
        else
        {
            // A new window starts tomorrow at 02:00 in the viewer's own zone, weekly on that day.
            var zone = WindowRules.IsKnownTimeZone(_viewerZone.Id) ? _viewerZone.Id : "UTC";
            var tomorrow = TimeZoneInfo.ConvertTime(Time.GetUtcNow(), _viewerZone).Date.AddDays(1).AddHours(2);
            _zone = zone;
            _start = WindowTimes.FormatLocal(tomorrow);
            _recurrence = RecurrenceChoice.For(tomorrow);
        }

        _loading = false;
        Recompute();
        StateHasChanged();
    }

    private void Load(WindowInput input)
    {
        _name = input.Name;
        _description = input.Description;
        _zone = input.TimeZoneId;
        _start = WindowTimes.FormatLocal(input.StartLocal);
        _duration = input.DurationMinutes;
        _cutoff = input.CutoffMinutes;
        _enabled = input.Enabled;
        _recurrence = RecurrenceChoice.FromRule(input.RecurrenceRule, input.StartLocal, input.TimeZoneId);
        _exclusions.UnionWith(input.ExclusionDates);
        _groups.UnionWith(input.Targets.GroupIds);
        _tags.UnionWith(input.Targets.TagIds);
        _hosts.UnionWith(input.Targets.HostIds);
    }

    private DateTime? StartLocal => WindowTimes.ParseLocal(_start);

    private WindowInput CurrentInput() => new(
        _name,
        _description,
        _zone ?? "",
        StartLocal ?? DateTime.MinValue,
        _duration,
        _cutoff,
        Rule,
        _exclusions.ToList(),
        _enabled,
        new TargetSet(_groups.ToList(), _tags.ToList(), _hosts.ToList()));

    private void Recompute()
    {
        var input = CurrentInput();
        var violations = WindowRules.Validate(input, Time.GetUtcNow()).ToList();
        if (StartLocal is null)
        {
            violations.RemoveAll(v => v.Field == nameof(WindowInput.StartLocal));
            violations.Add(new RuleViolation(nameof(WindowInput.StartLocal), "Enter the date and time of the first occurrence."));
        }

        _violations = violations;
        _preview = [];
        if (StartLocal is not null && WindowRules.IsKnownTimeZone(_zone) && _duration > 0
            && !violations.Exists(v => v.Field is nameof(WindowInput.RecurrenceRule) or nameof(WindowInput.DurationMinutes)))
        {
            var window = input.ToWindow(Id);
            window.Enabled = true;
            var now = Time.GetUtcNow();
            _preview = Schedule.Occurrences(window, now, now.AddYears(2)).Take(PreviewCount).ToList();
        }
    }

    /// <summary>The message for a field: the server's refusal while the value is unchanged, else the live rule check.</summary>
    private string? ErrorFor(string field) =>
        _violations.FirstOrDefault(v => v.Field == field)?.Message
        ?? (_serverFieldErrors.TryGetValue(field, out var server) ? server : null);

    private string? StartError() => ErrorFor(nameof(WindowInput.StartLocal));

    /// <summary>For the parts shown as text rather than as a form field: only once touched or after a save was tried.</summary>
    private string? ShownError(string field) => _submitted || _touched.Contains(field) ? ErrorFor(field) : null;

    private async Task ChangedAsync()
    {
        _serverFieldErrors = new Dictionary<string, string>();
        _serverError = null;
        Recompute();

        // After a refused save every field shows its current message, so fixing one field clears it at once.
        if (_submitted && _form is not null)
        {
            await _form.ValidateAsync();
        }
    }

    // Until the recurrence is chosen by hand it follows the start: weekly on the start's weekday, monthly on its day.
    private Task OnStartChangedAsync()
    {
        if (!_touched.Contains(nameof(WindowInput.RecurrenceRule)) && Id is null && StartLocal is { } start)
        {
            var repeat = _recurrence.Repeat;
            _recurrence = RecurrenceChoice.For(start);
            _recurrence.Repeat = repeat;
        }

        return ChangedAsync();
    }

    private Task OnTargetsChangedAsync()
    {
        _touched.Add(WindowRules.TargetsField);
        return ChangedAsync();
    }

    private Task OnRecurrenceChangedAsync()
    {
        _touched.Add(nameof(WindowInput.RecurrenceRule));
        return ChangedAsync();
    }

    private async Task AddExclusionAsync()
    {
        if (ParseDate(_exclusionText) is { } date)
        {
            _exclusions.Add(date);
            _exclusionText = null;
            await ChangedAsync();
        }
    }

    private async Task RemoveExclusionAsync(DateOnly date)
    {
        _exclusions.Remove(date);
        await ChangedAsync();
    }

    private static DateOnly? ParseDate(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

    private static Task<IEnumerable<string>> SearchZonesAsync(string? text, CancellationToken cancellationToken)
    {
        IEnumerable<string> zones = WindowRules.TimeZoneIds;
        if (!string.IsNullOrWhiteSpace(text))
        {
            zones = zones.Where(z => z.Contains(text.Trim(), StringComparison.OrdinalIgnoreCase));
        }

        return Task.FromResult(zones);
    }

    private async Task<Actor> ActorAsync() =>
        new((await AuthenticationState).User.Identity?.Name ?? "unknown", Circuit.SourceAddress);

    private async Task SaveAsync()
    {
        _submitted = true;
        Recompute();
        if (_form is not null)
        {
            await _form.ValidateAsync();
        }

        if (_violations.Count > 0)
        {
            _serverError = "The window was not saved: " + string.Join(" ", _violations.Select(v => v.Message));
            return;
        }

        _saving = true;
        try
        {
            var input = CurrentInput();
            var result = Id is { } id
                ? await Catalog.UpdateAsync(id, input, await ActorAsync(), CancellationToken.None)
                : await Catalog.CreateAsync(input, await ActorAsync(), CancellationToken.None);
            if (result.Succeeded)
            {
                Snackbar.Add($"Window {input.Name.Trim()} saved.", Severity.Success);
                Navigation.NavigateTo("/windows");
                return;
            }

            _serverFieldErrors = result.FieldErrors;
            _serverError = result.Error;
            if (_form is not null)
            {
                await _form.ValidateAsync();
            }
        }
        finally
        {
            _saving = false;
        }
    }

    private async Task DeleteAsync()
    {
        if (Id is not { } id)
        {
            return;
        }

        if (await Dialogs.ShowMessageBoxAsync("Delete window", $"Delete the window {_name}? Its occurrences disappear from the calendar and its feed.",
                yesText: "Delete", cancelText: "Cancel") != true)
        {
            return;
        }

        var result = await Catalog.DeleteAsync(id, await ActorAsync(), CancellationToken.None);
        if (result.Succeeded)
        {
            Snackbar.Add($"Window {_name} deleted.", Severity.Success);
            Navigation.NavigateTo("/windows");
        }
        else
        {
            _serverError = result.Error;
        }
    }
}
