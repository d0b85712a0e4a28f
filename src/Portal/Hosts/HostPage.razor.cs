using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Hosts;

/// <summary>One host: facts, health history, pending updates (security first) and installed packages, live.</summary>
public sealed partial class HostPage
{
    private static readonly IReadOnlyList<BreadcrumbItem> HostsTrail = [new BreadcrumbItem("Hosts", "/hosts")];
    private HostDetail? _host;
    private IReadOnlyList<HealthSample> _history = [];
    private bool _loaded;
    private bool _canOperate;
    private TimeZoneInfo? _zone;
    private MudDataGrid<PendingUpdate>? _updates;
    private MudDataGrid<InstalledPackage>? _packages;
    private string? _packageSearch;
    private IDisposable? _subscription;

    [Parameter]
    public Guid Id { get; set; }

    [Inject]
    private HostCatalog Catalog { get; set; } = default!;

    [Inject]
    private HostEventHub Events { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private BrowserTimeZone TimeZone { get; set; } = default!;

    [Inject]
    private CircuitContext Circuit { get; set; } = default!;

    [Inject]
    private IAuthorizationService Authorization { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        var user = (await AuthenticationState).User;
        _canOperate = (await Authorization.AuthorizeAsync(user, PortalPolicies.Operate)).Succeeded;
        _subscription = Events.Subscribe(OnHostChanged);
    }

    protected override async Task OnParametersSetAsync() => await LoadAsync();

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _zone = await TimeZone.GetAsync();
            StateHasChanged();
        }
    }

    private async Task LoadAsync()
    {
        _host = await Catalog.GetDetailAsync(Id, CancellationToken.None);
        _history = _host is null ? [] : await Catalog.GetHealthHistoryAsync(Id, CancellationToken.None);
        _loaded = true;
    }

    private void OnHostChanged(HostChanged change)
    {
        if (change.HostId != Id)
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            await LoadAsync();
            if (_updates is not null)
            {
                await _updates.ReloadServerData();
            }

            if (_packages is not null)
            {
                await _packages.ReloadServerData();
            }

            StateHasChanged();
        });
    }

    private async Task<GridData<PendingUpdate>> LoadUpdatesAsync(GridState<PendingUpdate> state, CancellationToken cancellationToken)
    {
        var page = await Catalog.GetPendingUpdatesAsync(Id, state.Page, state.PageSize, cancellationToken);
        return new GridData<PendingUpdate> { Items = page.Items, TotalItems = page.Total };
    }

    private async Task<GridData<InstalledPackage>> LoadPackagesAsync(GridState<InstalledPackage> state, CancellationToken cancellationToken)
    {
        var sort = state.SortDefinitions.FirstOrDefault();
        var page = await Catalog.GetPackagesAsync(Id, _packageSearch, new PackageSort(sort?.SortBy, sort?.Descending ?? false),
            state.Page, state.PageSize, cancellationToken);
        return new GridData<InstalledPackage> { Items = page.Items, TotalItems = page.Total };
    }

    private Task ReloadPackagesAsync() => _packages?.ReloadServerData() ?? Task.CompletedTask;

    private string FormatTime(DateTimeOffset? instant) =>
        instant is { } value ? BrowserTimeZone.Format(value, _zone ?? TimeZoneInfo.Utc) : "never";

    private static string Text(string? value) => string.IsNullOrWhiteSpace(value) ? "unknown" : value;

    private static string BarClass(HostHealth health) => health switch
    {
        HostHealth.Healthy => "mud-theme-success",
        HostHealth.Degraded => "mud-theme-warning",
        HostHealth.Unreachable => "mud-theme-error",
        _ => "mud-theme-default",
    };

    private async Task<Actor> ActorAsync()
    {
        var user = (await AuthenticationState).User;
        return new Actor(user.Identity?.Name ?? "unknown", Circuit.SourceAddress);
    }

    private void Refresh()
    {
        if (_canOperate && Catalog.RequestRefresh([Id]))
        {
            Snackbar.Add("Refresh queued.", Severity.Info);
        }
    }

    private async Task NewTokenAsync()
    {
        if (!_canOperate || _host is null)
        {
            return;
        }

        // The hub may reload (or clear) _host while this awaits: keep the name it started with.
        var name = _host.Name;
        var confirmed = await Dialogs.ShowMessageBoxAsync("New enrolment token",
            $"Issue a new enrolment token for {name}? Any unused token of this host stops working.", yesText: "Issue token", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var outcome = await Catalog.IssueTokenAsync(Id, await ActorAsync(), CancellationToken.None);
        if (outcome.Ticket is { } ticket)
        {
            await HostList.ShowTicketAsync(Dialogs, name, ticket, _zone ?? TimeZoneInfo.Utc);
        }
        else
        {
            Snackbar.Add(outcome.Error ?? "No token was issued.", Severity.Error);
        }
    }

    private async Task EditAsync()
    {
        if (!_canOperate || _host is null)
        {
            return;
        }

        var groups = await Catalog.GetGroupOptionsAsync(CancellationToken.None);
        var input = _host.ToInput();
        HostChangeResult? refused = null;
        while (true)
        {
            var parameters = new DialogParameters<HostEditDialog>
            {
                { d => d.Initial, input },
                { d => d.Editing, true },
                { d => d.Groups, groups },
                { d => d.Error, refused?.Error },
                { d => d.FieldErrors, refused?.FieldErrors },
            };
            var dialog = await Dialogs.ShowAsync<HostEditDialog>("Edit host", parameters);
            var result = await dialog.Result;
            if (result is null || result.Canceled || result.Data is not HostInput entered)
            {
                return;
            }

            input = entered;
            var outcome = await Catalog.UpdateAsync(Id, entered, await ActorAsync(), CancellationToken.None);
            if (outcome.Succeeded)
            {
                Snackbar.Add($"{entered.Name} saved.", Severity.Success);
                await LoadAsync();
                return;
            }

            refused = outcome;
        }
    }

    private async Task RemoveAsync()
    {
        if (!_canOperate || _host is null)
        {
            return;
        }

        // Removing publishes a change that clears _host on this very page: keep the name it started with.
        var name = _host.Name;
        var confirmed = await Dialogs.ShowMessageBoxAsync("Remove host",
            $"Remove {name}? Its inventory, pending updates and health history are deleted; the agent keeps running until you uninstall it.",
            yesText: "Remove", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var outcome = await Catalog.RemoveAsync(Id, await ActorAsync(), CancellationToken.None);
        if (outcome.Succeeded)
        {
            Snackbar.Add($"{name} removed.", Severity.Success);
            Navigation.NavigateTo("/hosts");
        }
        else
        {
            Snackbar.Add(outcome.Error ?? "The host could not be removed.", Severity.Error);
        }
    }

    public void Dispose() => _subscription?.Dispose();
}
