using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Hosts;

/// <summary>
/// The host list. Its filters live in the URL (so links and bookmarks open it filtered); it reloads the current
/// page of the grid whenever <see cref="HostEventHub"/> reports a change, without a page reload.
/// </summary>
public sealed partial class HostList
{
    private MudDataGrid<HostRow>? _grid;
    private HashSet<HostRow> _selected = [];
    private HostFilter _filter = new();
    private TimeZoneInfo? _zone;
    private bool _canOperate;
    private IReadOnlyList<GroupOption> _groups = [];
    private IReadOnlyList<string> _tags = [];
    private IReadOnlyList<string> _osNames = [];
    private IDisposable? _subscription;
    private int _reloadQueued;

    [Inject]
    private HostCatalog Catalog { get; set; } = default!;

    [Inject]
    private HostEventHub Events { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private BrowserTimeZone TimeZone { get; set; } = default!;

    [Inject]
    private CircuitContext Circuit { get; set; } = default!;

    [Inject]
    private IAuthorizationService Authorization { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    [SupplyParameterFromQuery(Name = HostListQuery.Search)]
    public string? Search { get; set; }

    [SupplyParameterFromQuery(Name = HostListQuery.Group)]
    public string? Group { get; set; }

    [SupplyParameterFromQuery(Name = HostListQuery.Tag)]
    public string? Tag { get; set; }

    [SupplyParameterFromQuery(Name = HostListQuery.Os)]
    public string? Os { get; set; }

    [SupplyParameterFromQuery(Name = HostListQuery.Health)]
    public string? Health { get; set; }

    [SupplyParameterFromQuery(Name = HostListQuery.Security)]
    public string? Security { get; set; }

    [SupplyParameterFromQuery(Name = HostListQuery.Reboot)]
    public string? Reboot { get; set; }

    [SupplyParameterFromQuery(Name = HostListQuery.Stale)]
    public string? Stale { get; set; }

    /// <summary>The filter the list shows now (what the URL says).</summary>
    internal HostFilter CurrentFilter => _filter;

    protected override async Task OnInitializedAsync()
    {
        var user = (await AuthenticationState).User;
        _canOperate = (await Authorization.AuthorizeAsync(user, PortalPolicies.Operate)).Succeeded;
        _subscription = Events.Subscribe(OnHostChanged);
        await LoadChoicesAsync();
    }

    protected override async Task OnParametersSetAsync()
    {
        var filter = HostListQuery.Parse(Search, Group, Tag, Os, Health, Security, Reboot, Stale);
        if (filter == _filter)
        {
            return;
        }

        _filter = filter;
        // The grid loads itself on first render; later URL changes (back button, a link) reload it here.
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

    private async Task LoadChoicesAsync()
    {
        _groups = await Catalog.GetGroupOptionsAsync(CancellationToken.None);
        _tags = await Catalog.GetTagNamesAsync(CancellationToken.None);
        _osNames = await Catalog.GetOsNamesAsync(CancellationToken.None);
    }

    private async Task<GridData<HostRow>> LoadAsync(GridState<HostRow> state, CancellationToken cancellationToken)
    {
        var sort = state.SortDefinitions.FirstOrDefault();
        var page = await Catalog.GetPageAsync(_filter, new HostSort(sort?.SortBy, sort?.Descending ?? false), state.Page, state.PageSize, cancellationToken);
        return new GridData<HostRow> { Items = page.Items, TotalItems = page.Total };
    }

    // A refresh of many hosts publishes many changes: coalesce them into one reload of the current page.
    private void OnHostChanged(HostChanged change)
    {
        if (Interlocked.Exchange(ref _reloadQueued, 1) == 1)
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            Volatile.Write(ref _reloadQueued, 0);
            if (_grid is not null)
            {
                await _grid.ReloadServerData();
            }

            StateHasChanged();
        });
    }

    private Task OnSearchChanged(string? search) => ApplyAsync(_filter with { Search = search });

    /// <summary>Puts the filter into the URL; the navigation brings it back through the query parameters.</summary>
    private Task ApplyAsync(HostFilter filter)
    {
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(HostListQuery.ToQuery(filter)));
        return Task.CompletedTask;
    }

    private string FormatTime(DateTimeOffset? instant) =>
        instant is { } value ? BrowserTimeZone.Format(value, _zone ?? TimeZoneInfo.Utc) : "never";

    private async Task<Actor> ActorAsync()
    {
        var user = (await AuthenticationState).User;
        return new Actor(user.Identity?.Name ?? "unknown", Circuit.SourceAddress);
    }

    private async Task AddAsync()
    {
        if (!_canOperate)
        {
            return;
        }

        HostInput? input = null;
        HostChangeResult? refused = null;
        while (true)
        {
            var parameters = new DialogParameters<HostEditDialog>
            {
                { d => d.Initial, input },
                { d => d.Groups, _groups },
                { d => d.Error, refused?.Error },
                { d => d.FieldErrors, refused?.FieldErrors },
            };
            var dialog = await Dialogs.ShowAsync<HostEditDialog>("Add host", parameters);
            var result = await dialog.Result;
            if (result is null || result.Canceled || result.Data is not HostInput entered)
            {
                return;
            }

            input = entered;
            var outcome = await Catalog.AddAsync(entered, await ActorAsync(), CancellationToken.None);
            if (!outcome.Succeeded)
            {
                refused = outcome;
                continue;
            }

            await LoadChoicesAsync();
            if (_grid is not null)
            {
                await _grid.ReloadServerData();
            }

            if (outcome.Ticket is { } ticket)
            {
                await ShowTicketAsync(Dialogs, entered.Name, ticket, _zone ?? TimeZoneInfo.Utc);
            }
            else
            {
                Snackbar.Add($"{entered.Name} added. Enrolment is not available on this portal, so no token was issued.", Severity.Warning);
            }

            return;
        }
    }

    /// <summary>Shows an enrolment ticket once; the dialog only closes through its button.</summary>
    internal static async Task ShowTicketAsync(IDialogService dialogs, string hostName, EnrollmentTicket ticket, TimeZoneInfo zone)
    {
        var parameters = new DialogParameters<EnrollmentTicketDialog>
        {
            { d => d.HostName, hostName },
            { d => d.Ticket, ticket },
            { d => d.Zone, zone },
        };
        var dialog = await dialogs.ShowAsync<EnrollmentTicketDialog>("Enrolment token", parameters,
            new DialogOptions { BackdropClick = false, CloseOnEscapeKey = false, MaxWidth = MaxWidth.Medium, FullWidth = true });
        await dialog.Result;
    }

    private async Task AssignAsync()
    {
        if (!_canOperate || _selected.Count == 0)
        {
            return;
        }

        var parameters = new DialogParameters<BulkAssignDialog> { { d => d.HostCount, _selected.Count }, { d => d.Groups, _groups } };
        var dialog = await Dialogs.ShowAsync<BulkAssignDialog>("Assign groups and tags", parameters);
        var result = await dialog.Result;
        if (result is null || result.Canceled || result.Data is not BulkAssignment assignment)
        {
            return;
        }

        var outcome = await Catalog.AssignAsync(_selected.Select(h => h.Id).ToList(), assignment.GroupIds, assignment.Tags, await ActorAsync(), CancellationToken.None);
        if (outcome.Succeeded)
        {
            Snackbar.Add($"{outcome.Changed} host(s) changed.", Severity.Success);
            await LoadChoicesAsync();
        }
        else
        {
            Snackbar.Add(outcome.Error ?? "The change failed.", Severity.Error);
        }

        if (_grid is not null)
        {
            await _grid.ReloadServerData();
        }
    }

    private void RefreshSelected()
    {
        if (!_canOperate)
        {
            return;
        }

        var ids = _selected.Select(h => h.Id).ToList();
        if (Catalog.RequestRefresh(ids))
        {
            Snackbar.Add($"Refresh of {ids.Count} host(s) queued.", Severity.Info);
        }
    }

    public void Dispose() => _subscription?.Dispose();
}
