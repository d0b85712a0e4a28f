using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Portal.Windows;

namespace PatchPortal.Portal.Plans;

/// <summary>
/// Creates and edits a plan in four sections: what, where, when and how. Field rules run here first (the same
/// <see cref="PlanInputRules"/>) and again in <see cref="PlanService"/>, whose messages land at their fields.
/// </summary>
public sealed partial class PlanEditor
{
    private const int ShownOccurrences = 10;
    private static readonly IReadOnlyList<BreadcrumbItem> Trail = [new BreadcrumbItem("Plans", "/plans")];

    private TimeZoneInfo? _zone;
    private bool _loaded;
    private bool _missing;
    private bool _saving;
    private PlanState _state = PlanState.Draft;
    private int _revision = 1;
    private string? _error;
    private IReadOnlyDictionary<string, string> _errors = new Dictionary<string, string>();

    private string _name = "";
    private string? _description;
    private PlanPackageScope _scope = PlanPackageScope.AllUpdates;
    private string? _packages;
    private string? _exclusions;
    private IReadOnlyCollection<Guid> _groupIds = [];
    private IReadOnlyCollection<Guid> _tagIds = [];
    private List<NamedRef> _hosts = [];
    private PlanTiming _timing = PlanTiming.NextOccurrence;
    private Guid? _windowId;
    private DateTimeOffset? _occurrence;
    private int _batchSize = 1;
    private bool _batchPercent;
    private IReadOnlyCollection<Guid> _canaries = [];
    private int _maxFailures;
    private bool _maxFailuresPercent;
    private RebootPolicy _reboot = RebootPolicy.IfRequired;
    private int _timeout = 30;

    private IReadOnlyList<GroupChoice> _groups = [];
    private IReadOnlyList<NamedRef> _tags = [];
    private IReadOnlyList<WindowChoice> _windows = [];
    private IReadOnlyList<WindowOccurrence> _occurrences = [];
    private TargetPreview _preview = new(0, [], 1);

    /// <summary>The plan being edited; null on /plans/new.</summary>
    [Parameter]
    public Guid? Id { get; set; }

    [Inject]
    private PlanQueries Queries { get; set; } = default!;

    [Inject]
    private PlanService Plans { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private BrowserTimeZone TimeZone { get; set; } = default!;

    [Inject]
    private CircuitContext Circuit { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    /// <summary>The messages shown now, field → message (for tests of the page).</summary>
    internal IReadOnlyDictionary<string, string> Errors => _errors;

    // Canaries are chosen among the targeted hosts; ones chosen earlier stay listed so a stray one can be seen and removed.
    private IEnumerable<NamedRef> CanaryChoices => _preview.Hosts.Concat(_canaryNames.Where(c => _preview.Hosts.All(h => h.Id != c.Id)));

    private IReadOnlyList<NamedRef> _canaryNames = [];

    protected override async Task OnParametersSetAsync()
    {
        _groups = await Queries.GetGroupsAsync(CancellationToken.None);
        _tags = await Queries.GetTagsAsync(CancellationToken.None);
        _windows = await Queries.GetWindowsAsync(CancellationToken.None);
        if (Id is { } id)
        {
            if (await Queries.GetInputAsync(id, CancellationToken.None) is not { } stored)
            {
                _missing = true;
                _loaded = true;
                return;
            }

            (_state, _revision) = (stored.State, stored.Revision);
            await FillAsync(stored.Input);
        }
        else
        {
            _windowId = _windows.FirstOrDefault(w => w.Enabled)?.Id;
            if (_windowId is null)
            {
                _timing = PlanTiming.Now;
            }

            await LoadOccurrencesAsync();
        }

        _loaded = true;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _zone = await TimeZone.GetAsync();
            StateHasChanged();
        }
    }

    private async Task FillAsync(PlanInput input)
    {
        _name = input.Name;
        _description = input.Description;
        _scope = input.Scope;
        _packages = string.Join(", ", input.Packages);
        _exclusions = string.Join(", ", input.ExcludedPackages);
        _groupIds = input.GroupIds.ToList();
        _tagIds = input.TagIds.ToList();
        _hosts = (await Queries.GetHostsAsync(input.HostIds.ToList(), CancellationToken.None)).ToList();
        _timing = input.Timing;
        _windowId = input.WindowId;
        _occurrence = input.OccurrenceStart;
        _batchSize = input.BatchSize;
        _batchPercent = input.BatchSizeIsPercent;
        _canaries = input.CanaryHostIds.ToList();
        _canaryNames = await Queries.GetHostsAsync(input.CanaryHostIds.ToList(), CancellationToken.None);
        _maxFailures = input.MaxFailures;
        _maxFailuresPercent = input.MaxFailuresIsPercent;
        _reboot = input.RebootPolicy;
        _timeout = input.HostTimeoutMinutes;
        await PreviewAsync();
        await LoadOccurrencesAsync();
    }

    private PlanInput Input() => new()
    {
        Name = _name,
        Description = _description,
        Scope = _scope,
        Packages = _scope == PlanPackageScope.NamedPackages ? PlanInputRules.SplitList(_packages) : [],
        ExcludedPackages = PlanInputRules.SplitList(_exclusions),
        GroupIds = _groupIds.ToList(),
        TagIds = _tagIds.ToList(),
        HostIds = _hosts.Select(h => h.Id).ToList(),
        Timing = _timing,
        WindowId = _timing == PlanTiming.Now ? null : _windowId,
        OccurrenceStart = _timing == PlanTiming.Occurrence ? _occurrence : null,
        BatchSize = _batchSize,
        BatchSizeIsPercent = _batchPercent,
        CanaryHostIds = _canaries.ToList(),
        MaxFailures = _maxFailures,
        MaxFailuresIsPercent = _maxFailuresPercent,
        RebootPolicy = _reboot,
        HostTimeoutMinutes = _timeout,
    };

    private bool Has(string field) => _errors.ContainsKey(field);

    private string? ErrorOf(string field) => _errors.TryGetValue(field, out var error) ? error : null;

    private static string Approvals(int count) => count == 1 ? "1 approval" : $"{count} approvals";

    private async Task OnGroupsChanged(IEnumerable<Guid>? ids)
    {
        _groupIds = (ids ?? []).ToList();
        await PreviewAsync();
    }

    private async Task OnTagsChanged(IEnumerable<Guid>? ids)
    {
        _tagIds = (ids ?? []).ToList();
        await PreviewAsync();
    }

    private async Task<IEnumerable<NamedRef>> SearchHostsAsync(string? text, CancellationToken cancellationToken) =>
        (await Queries.SearchHostsAsync(text, 20, cancellationToken)).Where(h => _hosts.All(c => c.Id != h.Id));

    private async Task AddHostAsync(NamedRef? host)
    {
        if (host is not null && _hosts.All(h => h.Id != host.Id))
        {
            _hosts.Add(host);
            await PreviewAsync();
        }
    }

    private async Task RemoveHostAsync(NamedRef host)
    {
        _hosts.RemoveAll(h => h.Id == host.Id);
        await PreviewAsync();
    }

    private async Task PreviewAsync() =>
        _preview = await Queries.PreviewTargetsAsync(new TargetSet(_groupIds.ToList(), _tagIds.ToList(), _hosts.Select(h => h.Id).ToList()), CancellationToken.None);

    private async Task OnTimingChanged(PlanTiming timing)
    {
        _timing = timing;
        if (timing != PlanTiming.Occurrence)
        {
            _occurrence = null;
        }

        await LoadOccurrencesAsync();
    }

    private async Task OnWindowChanged(Guid? windowId)
    {
        _windowId = windowId;
        _occurrence = null;
        await LoadOccurrencesAsync();
    }

    private async Task LoadOccurrencesAsync() =>
        _occurrences = _windowId is { } id && _timing != PlanTiming.Now
            ? await Queries.GetUpcomingOccurrencesAsync(id, ShownOccurrences, CancellationToken.None)
            : [];

    /// <summary>An occurrence in the viewer's zone (named), with the window's own wall-clock time and any adjustment.</summary>
    private string Describe(WindowOccurrence occurrence)
    {
        var zone = _zone ?? TimeZoneInfo.Utc;
        var local = TimeZoneInfo.ConvertTime(occurrence.Start, zone);
        var end = TimeZoneInfo.ConvertTime(occurrence.End, zone);
        var text = $"{local.ToString("ddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}–{end.ToString("HH:mm", CultureInfo.InvariantCulture)} {zone.Id}";
        if (TimeZoneInfo.TryFindSystemTimeZoneById(occurrence.TimeZoneId, out var own) && own.Id != zone.Id)
        {
            text += $" (window time {TimeZoneInfo.ConvertTime(occurrence.Start, own).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} {own.Id})";
        }

        return occurrence.Adjustment is { } adjustment ? $"{text}: {adjustment}" : text;
    }

    private async Task SaveAsync()
    {
        var input = Input();
        _error = null;
        _errors = PlanInputRules.Validate(input);
        if (_errors.Count > 0)
        {
            _error = "Some fields need attention.";
            return;
        }

        _saving = true;
        try
        {
            var user = (await AuthenticationState).User;
            var actor = new Actor(user.Identity?.Name ?? "unknown", Circuit.SourceAddress);
            var result = Id is { } id
                ? await Plans.UpdateAsync(id, input, _revision, actor, CancellationToken.None)
                : await Plans.CreateAsync(input, actor, CancellationToken.None);
            if (!result.Succeeded)
            {
                _errors = result.FieldErrors;
                _error = result.Error;
                return;
            }

            Snackbar.Add(result.Notice ?? (Id is null ? $"Plan {input.Name.Trim()} created as a draft." : "Plan saved."), Severity.Success);
            Navigation.NavigateTo($"/plans/{result.PlanId}");
        }
        finally
        {
            _saving = false;
        }
    }
}
