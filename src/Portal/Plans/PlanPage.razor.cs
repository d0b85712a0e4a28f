using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Runs;
using PatchPortal.Portal.Settings.Users;

namespace PatchPortal.Portal.Plans;

/// <summary>
/// One plan: summary, dry-run manifest, decisions, timeline and runs, with the actions the user's role and the plan's
/// state allow. It follows <see cref="PlanEventHub"/>, so a decision, a dry run or a run taken elsewhere shows at once.
/// </summary>
public sealed partial class PlanPage
{
    private static readonly IReadOnlyList<BreadcrumbItem> PlansTrail = [new BreadcrumbItem("Plans", "/plans")];

    private PlanDetail? _plan;
    private IReadOnlyList<ManifestRow> _manifest = [];
    private DryRunProgress? _progress;
    private bool _loaded;
    private bool _busy;
    private bool _canOperate;
    private bool _canApprove;
    private bool _isAuthor;
    private string _user = "";
    private string? _manifestFilter;
    private TimeZoneInfo? _zone;
    private IDisposable? _subscription;
    private IDisposable? _runSubscription;

    [Parameter]
    public Guid Id { get; set; }

    [Inject]
    private PlanQueries Queries { get; set; } = default!;

    [Inject]
    private PlanService Plans { get; set; } = default!;

    [Inject]
    private PlanDryRun DryRuns { get; set; } = default!;

    [Inject]
    private DryRunBoard Board { get; set; } = default!;

    [Inject]
    private PlanEventHub Events { get; set; } = default!;

    [Inject]
    private RunEventHub RunEvents { get; set; } = default!;

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

    private bool CanDryRun => _canOperate && _plan is not null && PlanDryRun.IsAllowed(_plan.State, _plan.ManifestIsCurrent);

    private bool CanSubmit => _canOperate && _plan is { State: PlanState.Draft or PlanState.Rejected };

    private bool DecidedThisRevision => _plan is not null && _plan.Decisions.Any(d => d.Revision == _plan.Revision && d.Approver == _user);

    private bool CanDecide => _canApprove && _plan is { State: PlanState.PendingApproval } && !_isAuthor && !DecidedThisRevision;

    private bool CanEdit => _canOperate && _plan is not null && PlanStateMachine.IsEditable(_plan.State);

    private bool CanCancel => _canOperate && _plan is not null && _plan.State != PlanState.Running && PlanStateMachine.IsAllowed(_plan.State, PlanState.Cancelled);

    protected override async Task OnInitializedAsync()
    {
        var user = (await AuthenticationState).User;
        _user = user.Identity?.Name ?? "";
        _canOperate = (await Authorization.AuthorizeAsync(user, PortalPolicies.Operate)).Succeeded;
        _canApprove = (await Authorization.AuthorizeAsync(user, PortalPolicies.Approve)).Succeeded;
        _subscription = Events.Subscribe(OnPlanChanged);
        // The run engine moves the plan (Scheduled → Running → an end state) and reports on the run hub.
        _runSubscription = RunEvents.Subscribe(OnRunChanged);
    }

    protected override async Task OnParametersSetAsync() => await LoadAsync(withManifest: true);

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _zone = await TimeZone.GetAsync();
            StateHasChanged();
        }
    }

    private async Task LoadAsync(bool withManifest)
    {
        _plan = await Queries.GetDetailAsync(Id, CancellationToken.None);
        if (_plan is not null)
        {
            _isAuthor = await Plans.IsAuthorAsync(Id, _user, CancellationToken.None);
            if (withManifest)
            {
                _manifest = await Queries.GetManifestAsync(Id, CancellationToken.None);
            }
        }

        _progress = Board.Get(Id);
        _loaded = true;
    }

    private void OnPlanChanged(PlanChanged change)
    {
        if (change.PlanId != Id)
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            if (change.What == PlanChangeKinds.DryRunProgress)
            {
                _progress = Board.Get(Id);
            }
            else
            {
                await LoadAsync(withManifest: change.What is PlanChangeKinds.DryRunFinished or PlanChangeKinds.Edited);
            }

            StateHasChanged();
        });
    }

    private void OnRunChanged(RunChanged change)
    {
        if (change.HostRunId is not null || _plan is null)
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            await LoadAsync(withManifest: false);
            StateHasChanged();
        });
    }

    private async Task<Actor> ActorAsync() => new((await AuthenticationState).User.Identity?.Name ?? "unknown", Circuit.SourceAddress);

    private async Task DryRunAsync()
    {
        if (!CanDryRun)
        {
            return;
        }

        _busy = true;
        try
        {
            var started = DryRuns.RunAsync(Id, await ActorAsync(), CancellationToken.None);
            _progress = Board.Get(Id);
            Show(await started);
        }
        finally
        {
            _busy = false;
        }

        await LoadAsync(withManifest: true);
    }

    private async Task SubmitAsync()
    {
        if (!CanSubmit || _plan is null)
        {
            return;
        }

        await RunAsync(async actor => await Plans.SubmitAsync(Id, _plan.Revision, actor, CancellationToken.None));
    }

    private async Task DecideAsync(bool approving)
    {
        if (!CanDecide || _plan is null)
        {
            return;
        }

        var revision = _plan.Revision;
        var parameters = new DialogParameters<DecisionDialog>
        {
            { d => d.Approving, approving },
            { d => d.PlanName, _plan.Name },
            { d => d.Revision, revision },
        };
        var dialog = await Dialogs.ShowAsync<DecisionDialog>(approving ? "Approve plan" : "Reject plan", parameters);
        if (await dialog.Result is not { Canceled: false, Data: string comment })
        {
            return;
        }

        await RunAsync(async actor => approving
            ? await Plans.ApproveAsync(Id, revision, comment, actor, CancellationToken.None)
            : await Plans.RejectAsync(Id, revision, comment, actor, CancellationToken.None));
    }

    private async Task CancelAsync()
    {
        if (!CanCancel || _plan is null)
        {
            return;
        }

        var dialog = await Dialogs.ShowAsync<CancelPlanDialog>("Cancel plan", new DialogParameters<CancelPlanDialog> { { d => d.PlanName, _plan.Name } });
        if (await dialog.Result is not { Canceled: false, Data: string reason })
        {
            return;
        }

        await RunAsync(async actor => await Plans.CancelAsync(Id, reason, actor, CancellationToken.None));
    }

    private async Task RunAsync(Func<Actor, Task<PlanResult>> command)
    {
        _busy = true;
        try
        {
            Show(await command(await ActorAsync()));
        }
        finally
        {
            _busy = false;
        }

        await LoadAsync(withManifest: false);
    }

    private void Show(PlanResult result)
    {
        if (result.Succeeded)
        {
            Snackbar.Add(result.Notice ?? "Done.", Severity.Success);
        }
        else
        {
            Snackbar.Add(result.Error ?? "The plan could not be changed.", Severity.Error);
        }
    }

    private IEnumerable<(Severity Severity, string Text, string TestId)> Notices()
    {
        if (_plan is null)
        {
            yield break;
        }

        if (_plan.State == PlanState.PendingApproval && !_plan.ManifestIsCurrent)
        {
            yield return (Severity.Warning, $"Revision {_plan.Revision} has no dry run yet: approvers can decide once it has run.", "needs-dry-run");
        }

        if (_plan.State is PlanState.Draft or PlanState.Rejected && !_plan.ManifestIsCurrent && _canOperate)
        {
            yield return (Severity.Info, "Run the dry run before submitting: approvers decide on what it says would change.", "needs-dry-run");
        }

        if (_plan.State == PlanState.PendingApproval && _canApprove && _isAuthor)
        {
            yield return (Severity.Info, "You wrote, edited or submitted this plan, so another approver must decide on it.", "own-plan");
        }

        if (_plan.State == PlanState.PendingApproval && DecidedThisRevision)
        {
            yield return (Severity.Success, $"You decided on revision {_plan.Revision}; waiting for other approvers.", "decided");
        }

        if (_plan.Timeline is [{ Kind: PlanEventKinds.ScheduleFailed } failed, ..])
        {
            yield return (Severity.Error, failed.Message ?? "The plan could not be scheduled.", "schedule-failed");
        }
    }

    private string ManifestStatus()
    {
        if (_plan?.ManifestRevision is not { } revision)
        {
            return "No dry run yet.";
        }

        var hosts = _manifest.Select(r => r.HostId).Distinct().Count();
        var changes = _manifest.Count(r => r.Package is not null);
        var text = $"Revision {revision}, checked {Time(_plan.ManifestCheckedAt)}: {changes} change(s) on {hosts} host(s).";
        return revision == _plan.Revision ? text : text + $" Out of date: the plan is now revision {_plan.Revision}.";
    }

    private bool MatchesFilter(ManifestRow row)
    {
        if (string.IsNullOrWhiteSpace(_manifestFilter))
        {
            return true;
        }

        var term = _manifestFilter.Trim();
        return new[] { row.Host, row.Package, row.From, row.To, row.Error }.Any(v => v?.Contains(term, StringComparison.OrdinalIgnoreCase) == true);
    }

    private string When()
    {
        if (_plan is null)
        {
            return "";
        }

        var window = _plan.WindowName is null ? "" : $"{_plan.WindowName} ({_plan.WindowTimeZone})";
        return _plan.Timing switch
        {
            PlanTiming.Now => PlanText.Timing(PlanTiming.Now),
            PlanTiming.Occurrence => $"Window {window}, occurrence at {Time(_plan.OccurrenceStart)}",
            PlanTiming.EveryOccurrence => $"Every occurrence of window {window}",
            _ => $"The next occurrence of window {window}",
        };
    }

    private string Time(DateTimeOffset? instant) => instant is { } value ? BrowserTimeZone.Format(value, _zone ?? TimeZoneInfo.Utc) : "—";

    private static string Label(PlanState? state) => state is { } s ? PlanStateChip.Label(s) : "new";

    public void Dispose()
    {
        _subscription?.Dispose();
        _runSubscription?.Dispose();
    }
}
