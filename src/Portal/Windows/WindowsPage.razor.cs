using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Windows;

/// <summary>Windows and blackouts: paged, sorted and filtered lists; changes for operators; live when another browser changes them.</summary>
public sealed partial class WindowsPage
{
    private MudDataGrid<WindowRow>? _windows;
    private MudDataGrid<BlackoutRow>? _blackouts;
    private TimeZoneInfo? _zone;
    private bool _canOperate;
    private int _tab;
    private string? _search;
    private string? _zoneFilter;
    private Guid? _groupFilter;
    private string? _blackoutSearch;
    private IReadOnlyList<string> _zones = [];
    private TargetOptions _options = TargetOptions.None;
    private IDisposable? _subscription;

    [Inject]
    private WindowCatalog Windows { get; set; } = default!;

    [Inject]
    private BlackoutCatalog Blackouts { get; set; } = default!;

    [Inject]
    private CalendarChangeHub Changes { get; set; } = default!;

    [Inject]
    private BrowserTimeZone BrowserZone { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private CircuitContext Circuit { get; set; } = default!;

    [Inject]
    private IAuthorizationService Authorization { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    /// <summary>"blackouts" opens the Blackouts tab (the calendar links there).</summary>
    [SupplyParameterFromQuery(Name = "tab")]
    public string? Tab { get; set; }

    protected override async Task OnInitializedAsync()
    {
        _canOperate = (await Authorization.AuthorizeAsync((await AuthenticationState).User, PortalPolicies.Operate)).Succeeded;
        _tab = string.Equals(Tab, "blackouts", StringComparison.OrdinalIgnoreCase) ? 1 : 0;
        _subscription = Changes.Subscribe(change => _ = InvokeAsync(async () =>
        {
            await LoadChoicesAsync();
            await ReloadWindowsAsync();
            await ReloadBlackoutsAsync();
            StateHasChanged();
        }));
        await LoadChoicesAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _zone = await BrowserZone.GetAsync();
            StateHasChanged();
        }
    }

    public void Dispose() => _subscription?.Dispose();

    private async Task LoadChoicesAsync()
    {
        _zones = await Windows.GetZonesAsync(CancellationToken.None);
        _options = await Windows.GetTargetOptionsAsync(CancellationToken.None);
    }

    private async Task<GridData<WindowRow>> LoadWindowsAsync(GridState<WindowRow> state, CancellationToken cancellationToken)
    {
        var sort = state.SortDefinitions.FirstOrDefault();
        var page = await Windows.GetPageAsync(new WindowFilter(_search, _zoneFilter, _groupFilter), sort?.SortBy, sort?.Descending ?? false,
            state.Page, state.PageSize, cancellationToken);
        return new GridData<WindowRow> { Items = page.Items, TotalItems = page.Total };
    }

    private async Task<GridData<BlackoutRow>> LoadBlackoutsAsync(GridState<BlackoutRow> state, CancellationToken cancellationToken)
    {
        var sort = state.SortDefinitions.FirstOrDefault();
        var page = await Blackouts.GetPageAsync(_blackoutSearch, sort?.SortBy, sort?.Descending ?? false, state.Page, state.PageSize, cancellationToken);
        return new GridData<BlackoutRow> { Items = page.Items, TotalItems = page.Total };
    }

    private Task ReloadWindowsAsync() => _windows?.ReloadServerData() ?? Task.CompletedTask;

    private Task ReloadBlackoutsAsync() => _blackouts?.ReloadServerData() ?? Task.CompletedTask;

    private Task OnZoneFilterChanged(string? zone)
    {
        _zoneFilter = zone;
        return ReloadWindowsAsync();
    }

    private Task OnGroupFilterChanged(Guid? group)
    {
        _groupFilter = group;
        return ReloadWindowsAsync();
    }

    private static string Repeats(WindowRow row) => RecurrenceChoice.Describe(row.RecurrenceRule, DateTime.MinValue, row.TimeZoneId);

    private async Task<Actor> ActorAsync() =>
        new((await AuthenticationState).User.Identity?.Name ?? "unknown", Circuit.SourceAddress);

    private async Task DeleteWindowAsync(WindowRow window)
    {
        if (!_canOperate)
        {
            return;
        }

        if (await Dialogs.ShowMessageBoxAsync("Delete window", $"Delete the window {window.Name}? Its occurrences disappear from the calendar and its feed.",
                yesText: "Delete", cancelText: "Cancel") != true)
        {
            return;
        }

        var result = await Windows.DeleteAsync(window.Id, await ActorAsync(), CancellationToken.None);
        Snackbar.Add(result.Succeeded ? $"Window {window.Name} deleted." : result.Error ?? "The window could not be deleted.",
            result.Succeeded ? Severity.Success : Severity.Error);
        await ReloadWindowsAsync();
    }

    private Task CreateBlackoutAsync() => SaveBlackoutAsync(null, null);

    private async Task EditBlackoutAsync(BlackoutRow row)
    {
        if (await Blackouts.GetAsync(row.Id, CancellationToken.None) is { } details)
        {
            await SaveBlackoutAsync(row.Id, details.Input);
        }
    }

    private async Task SaveBlackoutAsync(Guid? blackoutId, BlackoutInput? input)
    {
        if (!_canOperate || _zone is null)
        {
            return;
        }

        CalendarChangeResult? refused = null;
        while (true)
        {
            var parameters = new DialogParameters<BlackoutDialog>
            {
                { d => d.Initial, input },
                { d => d.Options, _options },
                { d => d.Zone, _zone },
                { d => d.Error, refused?.Error },
                { d => d.FieldErrors, refused?.FieldErrors },
            };
            var dialog = await Dialogs.ShowAsync<BlackoutDialog>(blackoutId is null ? "New blackout" : "Edit blackout", parameters,
                new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
            var result = await dialog.Result;
            if (result is null || result.Canceled || result.Data is not BlackoutInput entered)
            {
                return;
            }

            input = entered;
            var outcome = blackoutId is { } id
                ? await Blackouts.UpdateAsync(id, entered, await ActorAsync(), CancellationToken.None)
                : await Blackouts.CreateAsync(entered, await ActorAsync(), CancellationToken.None);
            if (outcome.Succeeded)
            {
                Snackbar.Add($"Blackout {entered.Name.Trim()} saved.", Severity.Success);
                await ReloadBlackoutsAsync();
                return;
            }

            refused = outcome;
        }
    }

    private async Task DeleteBlackoutAsync(BlackoutRow blackout)
    {
        if (!_canOperate)
        {
            return;
        }

        if (await Dialogs.ShowMessageBoxAsync("Delete blackout", $"Delete the blackout {blackout.Name}? Patching may then start in its span again.",
                yesText: "Delete", cancelText: "Cancel") != true)
        {
            return;
        }

        var result = await Blackouts.DeleteAsync(blackout.Id, await ActorAsync(), CancellationToken.None);
        Snackbar.Add(result.Succeeded ? $"Blackout {blackout.Name} deleted." : result.Error ?? "The blackout could not be deleted.",
            result.Succeeded ? Severity.Success : Severity.Error);
        await ReloadBlackoutsAsync();
    }
}
