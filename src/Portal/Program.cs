using PatchPortal.Portal.Account;
using PatchPortal.Portal.Api;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Dashboard;
using PatchPortal.Portal.Downloads;
using PatchPortal.Portal.Enrollment;
using PatchPortal.Portal.Groups;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Inventory;
using PatchPortal.Portal.LocalAgent;
using PatchPortal.Portal.Operations;
using PatchPortal.Portal.Plans;
using PatchPortal.Portal.Runs;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Portal.Shell;
using PatchPortal.Portal.Windows;

if (MigrateDbCommand.IsInvoked(args))
{
    return await MigrateDbCommand.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddPortalHosting();
builder.AddPortalData();
builder.AddPortalIdentity();
builder.AddPortalAudit();
builder.AddPortalShell();
builder.AddInventory();
builder.AddPortalDashboard();
builder.AddHosts();
builder.AddGroups();
builder.AddWindows();
builder.AddUserAdministration();
builder.AddAgentConnectivity();
builder.AddLocalAgent();
builder.AddDownloads();
builder.AddOperations();
builder.AddRequestIds();
builder.AddPlans();
builder.AddRuns();
builder.AddPortalApi();

var app = builder.Build();

app.UseRequestIds();
app.UseSecurityHeaders();
app.UseApiDocsContentSecurity();
app.UsePortalStaticFiles();
app.UseDownloads();
app.UseRouting();
app.UseRequestMetrics();
app.UseAuthentication();
app.UsePortalApi();
app.UseAuthorization();
app.UseAntiforgery();

app.MapOperations();
app.MapAccountEndpoints();
app.MapEnrollmentApi();
app.MapCalendarFeeds();
app.MapPortalShell();
app.MapHangfireDashboardForAdmins();
app.MapPortalApi();

await app.RunAsync();
return 0;
