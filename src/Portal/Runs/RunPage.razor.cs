using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Runs;

/// <summary>
/// One run, live: its header, every host's state, progress, attempts, message, kernel and output, updated from
/// <see cref="RunEventHub"/> through the circuit as the engine checkpoints; and the operators' controls.
/// </summary>
public sealed partial class RunPage : IDisposable
{
    private static readonly IReadOnlyList<BreadcrumbItem> RunsTrail = [new BreadcrumbItem("Runs", "/runs")];
    private const int HostsPerPage = 50;
    private static readonly int[] PageSizes = [25, 50, 100, 250];
    private readonly HashSet<long> _expanded = [];
    private string? _hostSearch;
    private HostRunState? _stateFilter;
    private RunDetail? _run;
    private bool _loaded;
    private bool _canOperate;
    private bool _busy;
    private TimeZoneInfo? _zone;
    private IDisposable? _subscription;
    private int _reloadQueued;

    [Parameter]
    public Guid Id { get; set; }

    [Inject]
    private RunQuery Query { get; set; } = default!;

    [Inject]
    private RunControl Control { get; set; } = default!;

    [Inject]
    private RunEventHub Events { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private BrowserTimeZone TimeZone { get; set; } = default!;

    [Inject]
    private CircuitContext Circuit { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Inject]
    private IAuthorizationService Authorization { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private string BatchText => _run is null || _run.Batches == 0
        ? "No batches yet"
        : $"Batch {Math.Min(_run.CurrentBatch, _run.Batches - 1) + 1} of {_run.Batches}";

    private double Done => _run is null || _run.Hosts.Count == 0 ? 0 : 100.0 * _run.Hosts.Count(h => RunRules.IsFinal(h.State)) / _run.Hosts.Count;

    private bool CanRetry => _run is { CancelledBy: null } run
        && run.State is RunState.Running or RunState.Paused or RunState.PartiallyFailed or RunState.Failed
        && Time.GetUtcNow() < run.CutoffAt
        && run.Count(HostRunState.Failed, HostRunState.Missed, HostRunState.Skipped) > 0;

    protected override async Task OnInitializedAsync()
    {
        var user = (await AuthenticationState).User;
        _canOperate = (await Authorization.AuthorizeAsync(user, PortalPolicies.Operate)).Succeeded;
        _subscription = Events.Subscribe(OnRunChanged);
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
        _run = await Query.GetDetailAsync(Id, CancellationToken.None);
        _loaded = true;
    }

    // Every host step publishes a change; while one reload is queued, further changes ride along with it.
    private void OnRunChanged(RunChanged change)
    {
        if (change.RunId != Id || Interlocked.Exchange(ref _reloadQueued, 1) == 1)
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            Volatile.Write(ref _reloadQueued, 0);
            await LoadAsync();
            StateHasChanged();
        });
    }

    private bool ShowsHost(HostRunRow host) =>
        (_stateFilter is null || host.State == _stateFilter)
        && (string.IsNullOrWhiteSpace(_hostSearch) || host.HostName.Contains(_hostSearch.Trim(), StringComparison.OrdinalIgnoreCase));

    private void Toggle(long hostRunId)
    {
        if (!_expanded.Remove(hostRunId))
        {
            _expanded.Add(hostRunId);
        }
    }

    private Task PauseAsync() => ActAsync(actor => Control.PauseAsync(Id, actor, CancellationToken.None));

    private Task ResumeAsync() => ActAsync(actor => Control.ResumeAsync(Id, actor, CancellationToken.None));

    private async Task RetryAsync()
    {
        if (await Dialogs.ShowMessageBoxAsync("Retry failed hosts",
                "Send the hosts that failed, stayed unreachable or were skipped through the run again? Hosts start only until the window's cutoff.",
                yesText: "Retry", cancelText: "Cancel") == true)
        {
            await ActAsync(actor => Control.RetryFailedAsync(Id, actor, CancellationToken.None));
        }
    }

    private async Task CancelAsync()
    {
        var parameters = new DialogParameters<CancelRunDialog> { { d => d.PlanName, _run?.PlanName ?? "" } };
        var dialog = await Dialogs.ShowAsync<CancelRunDialog>("Cancel run", parameters);
        var result = await dialog.Result;
        if (result is { Canceled: false, Data: string reason })
        {
            await ActAsync(actor => Control.CancelAsync(Id, reason, actor, CancellationToken.None));
        }
    }

    private async Task RollBackAsync(HostRunRow host)
    {
        if (await Dialogs.ShowMessageBoxAsync("Roll back host",
                $"Roll back {host.HostName}? Its agent restores the package versions from before this run's patch job ({host.AgentJobId}).",
                yesText: "Roll back", cancelText: "Cancel") == true)
        {
            await ActAsync(actor => Control.RollBackHostAsync(Id, host.Id, actor, CancellationToken.None));
        }
    }

    private async Task ActAsync(Func<Actor, Task<RunActionResult>> action)
    {
        if (!_canOperate || _busy)
        {
            return;
        }

        _busy = true;
        try
        {
            var user = (await AuthenticationState).User;
            var result = await action(new Actor(user.Identity?.Name ?? "unknown", Circuit.SourceAddress));
            Snackbar.Add(result.Message, result.Succeeded ? Severity.Success : Severity.Error);
            await LoadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private string Format(DateTimeOffset? instant) =>
        instant is { } value ? BrowserTimeZone.Format(value, _zone ?? TimeZoneInfo.Utc) : "—";

    public void Dispose() => _subscription?.Dispose();
}
