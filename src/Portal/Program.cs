using PatchPortal.Portal.Account;
using PatchPortal.Portal.Audit;
using PatchPortal.Portal.Dashboard;
using PatchPortal.Portal.Enrollment;
using PatchPortal.Portal.Groups;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Inventory;
using PatchPortal.Portal.LocalAgent;
using PatchPortal.Portal.Plans;
using PatchPortal.Portal.Settings.Users;
using PatchPortal.Portal.Shell;

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
builder.AddUserAdministration();
builder.AddAgentConnectivity();
builder.AddLocalAgent();
builder.AddPlans();

var app = builder.Build();

app.UseSecurityHeaders();
app.UsePortalStaticFiles();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapAccountEndpoints();
app.MapEnrollmentApi();
app.MapPortalShell();
app.MapHangfireDashboardForAdmins();

app.Run();
