using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Groups;
using PatchPortal.Tests.Unit.Portal.Shell;

namespace PatchPortal.Tests.Unit.Portal.Groups;

public sealed class GroupDialogTests : PortalComponentTestContext, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    private async Task<(IRenderedComponent<MudDialogProvider> Provider, IDialogReference Dialog)> OpenAsync(DialogParameters<GroupDialog>? parameters = null)
    {
        var provider = Render<MudDialogProvider>();
        IDialogReference? dialog = null;
        await provider.InvokeAsync(async () => dialog = await Services.GetRequiredService<IDialogService>()
            .ShowAsync<GroupDialog>("New group", parameters ?? []));
        return (provider, dialog!);
    }

    private static Task ClickAsync(IRenderedComponent<MudDialogProvider> provider, string text) =>
        provider.FindAll("button").Single(b => b.TextContent.Trim() == text).ClickAsync(new());

    [Fact]
    public async Task GroupDialog_ShowsErrorAndStaysOpen_WhenNameIsEmpty()
    {
        var (provider, dialog) = await OpenAsync();

        await ClickAsync(provider, "Create");

        provider.WaitForAssertion(() => Assert.Contains("Enter a name.", provider.Markup, StringComparison.Ordinal));
        Assert.False(dialog.Result.IsCompleted);
    }

    [Fact]
    public async Task GroupDialog_ShowsRangeError_WhenApprovalsAreFour()
    {
        var (provider, dialog) = await OpenAsync();
        provider.Find("input[type='text']").Change("prod");
        var approvals = provider.FindComponent<MudNumericField<int>>();
        await provider.InvokeAsync(() => approvals.Instance.ValueChanged.InvokeAsync(4));

        await ClickAsync(provider, "Create");

        provider.WaitForAssertion(() => Assert.Contains("Between 1 and 3 approvals.", provider.Markup, StringComparison.Ordinal));
        Assert.False(dialog.Result.IsCompleted);
    }

    [Fact]
    public async Task GroupDialog_DefaultsToTwoApprovals_WhenProductionIsChosen()
    {
        var (provider, dialog) = await OpenAsync();
        provider.Find("input[type='text']").Change("prod");
        var environment = provider.FindComponent<MudSelect<GroupEnvironment>>();
        await provider.InvokeAsync(() => environment.Instance.ValueChanged.InvokeAsync(GroupEnvironment.Production));

        await ClickAsync(provider, "Create");

        var result = await dialog.Result.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new GroupInput("prod", null, GroupEnvironment.Production, 2), result!.Data);
    }

    [Fact]
    public async Task GroupDialog_ShowsServerErrorNextToName_WhenNameWasRefused()
    {
        var (provider, _) = await OpenAsync(new DialogParameters<GroupDialog>
        {
            { d => d.Initial, new GroupInput("web", null, GroupEnvironment.Development, 1) },
            { d => d.Error, "A group named 'web' already exists." },
            { d => d.ErrorField, nameof(GroupInput.Name) },
        });

        provider.WaitForAssertion(() =>
            Assert.Contains(provider.FindAll(".mud-input-helper-text"), e => e.TextContent.Contains("already exists", StringComparison.Ordinal)));
    }
}
