using Microsoft.AspNetCore.Components;
using MudBlazor;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Runs;

/// <summary>
/// Every run, newest occurrence first, filtered by state and plan (the filters live in the URL, so the plan page
/// can link to /runs?plan=…); the current page reloads live when any run changes.
/// </summary>
public sealed partial class RunList : IDisposable
{
    public const string StateParameter = "state";
    public const string PlanParameter = "plan";

    private MudDataGrid<RunRow>? _grid;
    private RunFilter _filter = new();
    private TimeZoneInfo? _zone;
    private IReadOnlyList<PlanOption> _plans = [];
    private IDisposable? _subscription;
    private int _reloadQueued;

    [Inject]
    private RunQuery Query { get; set; } = default!;

    [Inject]
    private RunEventHub Events { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private BrowserTimeZone TimeZone { get; set; } = default!;

    [SupplyParameterFromQuery(Name = StateParameter)]
    public string? State { get; set; }

    [SupplyParameterFromQuery(Name = PlanParameter)]
    public string? Plan { get; set; }

    protected override async Task OnInitializedAsync()
    {
        _subscription = Events.Subscribe(OnRunChanged);
        _plans = await Query.GetPlanOptionsAsync(CancellationToken.None);
    }

    protected override async Task OnParametersSetAsync()
    {
        // Unknown values in a hand-edited URL are ignored rather than refused: the list then shows everything.
        var filter = new RunFilter(
            Enum.TryParse<RunState>(State, ignoreCase: true, out var state) && Enum.IsDefined(state) ? state : null,
            Guid.TryParse(Plan, out var plan) ? plan : null);
        if (filter == _filter)
        {
            return;
        }

        _filter = filter;
        if (_grid is not null)
        {
            await _grid.ReloadServerData();
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _zone = await TimeZone.GetAsync();
            StateHasChanged();
        }
    }

    private async Task<GridData<RunRow>> LoadAsync(GridState<RunRow> state, CancellationToken cancellationToken)
    {
        var sort = state.SortDefinitions.FirstOrDefault();
        var page = await Query.GetPageAsync(_filter, new RunSort(sort?.SortBy, sort?.Descending ?? true), state.Page, state.PageSize, cancellationToken);
        return new GridData<RunRow> { Items = page.Items, TotalItems = page.Total };
    }

    // A run publishes a change per host step: coalesce them into one reload of the current page.
    private void OnRunChanged(RunChanged change)
    {
        if (Interlocked.Exchange(ref _reloadQueued, 1) == 1)
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            Volatile.Write(ref _reloadQueued, 0);
            _plans = await Query.GetPlanOptionsAsync(CancellationToken.None);
            if (_grid is not null)
            {
                await _grid.ReloadServerData();
            }

            StateHasChanged();
        });
    }

    private Task ApplyAsync(RunFilter filter)
    {
        var query = new Dictionary<string, object?>
        {
            [StateParameter] = filter.State?.ToString(),
            [PlanParameter] = filter.PlanId?.ToString(),
        };
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters("/runs", query));
        return Task.CompletedTask;
    }

    private string Format(DateTimeOffset? instant) =>
        instant is { } value ? BrowserTimeZone.Format(value, _zone ?? TimeZoneInfo.Utc) : "—";

    public void Dispose() => _subscription?.Dispose();
}
