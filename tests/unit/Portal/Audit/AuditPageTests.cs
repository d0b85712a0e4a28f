using Bunit;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Tests.Unit.Portal.Shell;

namespace PatchPortal.Tests.Unit.Portal.Audit;

public sealed class AuditPageTests : PortalComponentTestContext, IAsyncLifetime
{
    private static readonly DateTimeOffset NewYearUtc = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private PortalTestHost _host = default!;

    public async Task InitializeAsync()
    {
        _host = await PortalTestHost.StartAsync();
        await using (var db = _host.CreateDbContext())
        {
            db.AuditEvents.Add(new AuditEvent { Action = AuditActions.SignInSucceeded, Actor = "tokyo@example.test", OccurredAt = NewYearUtc });
            await db.SaveChangesAsync();
        }

        Services.AddSingleton(_host.Services.GetRequiredService<AuditQuery>());
        Services.AddSingleton(_host.Services.GetRequiredService<AuditCheckpoints>());
        SignInAs(PortalRoles.Viewer);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public void AuditPage_ShowsTimesInBrowserZoneWithZoneName_WhenBrowserReportsZone()
    {
        JSInterop.Setup<string?>("patchPortal.timeZone").SetResult("Asia/Tokyo");

        var cut = Render<AuditPage>();

        cut.WaitForAssertion(() =>
        {
            var row = cut.FindAll("tbody tr").Single(r => r.TextContent.Contains("tokyo@example.test", StringComparison.Ordinal));
            Assert.Contains("2026-01-01 09:00:00 Asia/Tokyo", row.TextContent, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10));
        Assert.Single(JSInterop.Invocations, i => i.Identifier == "patchPortal.timeZone");
    }

    [Fact]
    public void AuditPage_FallsBackToUtc_WhenBrowserZoneIsUnknown()
    {
        JSInterop.Setup<string?>("patchPortal.timeZone").SetResult("Mars/Olympus_Mons");

        var cut = Render<AuditPage>();

        cut.WaitForAssertion(() =>
            Assert.Contains(cut.FindAll("tbody tr"), r => r.TextContent.Contains("2026-01-01 00:00:00 UTC", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void AuditPage_ReportsABrokenChain_WhenAnAdminVerifiesAfterARowWasInsertedBehindTheLogsBack()
    {
        // The row added in InitializeAsync went straight into the table, after the chain began (the admin bootstrap).
        JSInterop.Setup<string?>("patchPortal.timeZone").SetResult("UTC");
        SignInAs(PortalRoles.Admin);
        var cut = Render<AuditPage>();

        cut.WaitForElement("button:contains('Verify integrity')").Click();

        cut.WaitForAssertion(() => Assert.Contains("The audit chain is broken", cut.Find("[aria-label='Audit chain verification']").TextContent, StringComparison.Ordinal),
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void AuditPage_OffersNoVerification_WhenUserIsNotAnAdmin()
    {
        JSInterop.Setup<string?>("patchPortal.timeZone").SetResult("UTC");

        var cut = Render<AuditPage>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("tbody tr")), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(cut.FindAll("button"), b => b.TextContent.Contains("Verify integrity", StringComparison.Ordinal));
    }
}
