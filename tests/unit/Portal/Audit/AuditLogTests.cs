using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Portal.Audit;

namespace PatchPortal.Tests.Unit.Portal.Audit;

public sealed class AuditLogTests : IAsyncLifetime
{
    private static readonly string[] ViewerRoles = ["Viewer"];
    private static readonly string[] OperatorRoles = ["Operator"];
    private PortalTestHost _host = default!;

    public async Task InitializeAsync() => _host = await PortalTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task RecordAsync_StoresActorSourceAndJson_WhenEntryHasBeforeAndAfter()
    {
        var log = _host.Services.GetRequiredService<AuditLog>();

        var id = await log.RecordAsync(new AuditEntry(AuditActions.UserRoleChanged, "alice@example.test", "bob@example.test")
        {
            SourceAddress = "127.0.0.9",
            Before = new { roles = ViewerRoles },
            After = new { roles = OperatorRoles },
        });

        await using var db = _host.CreateDbContext();
        var stored = await db.AuditEvents.SingleAsync(e => e.Id == id);
        Assert.Equal("alice@example.test", stored.Actor);
        Assert.Equal("127.0.0.9", stored.SourceAddress);
        Assert.Equal("""{"roles":["Viewer"]}""", stored.BeforeJson);
        Assert.Equal("""{"roles":["Operator"]}""", stored.AfterJson);
    }

    [Fact]
    public void AuditLog_ExposesOnlyAppendingMethods_WhenInspected()
    {
        // Record an entry alone, or save a change together with its entry: both only append.
        var methods = typeof(AuditLog).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly);

        Assert.Equal(["Dispose", "RecordAsync", "SaveWithAsync"], methods.Select(m => m.Name).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SaveChanges_Throws_WhenAnAuditEventIsDeleted()
    {
        var id = await _host.Services.GetRequiredService<AuditLog>().RecordAsync(new AuditEntry("test.action", "alice", null));
        await using var db = _host.CreateDbContext();
        db.AuditEvents.Remove(await db.AuditEvents.SingleAsync(e => e.Id == id));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());

        Assert.Contains("append-only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaveChanges_Throws_WhenAnAuditEventIsModified()
    {
        var id = await _host.Services.GetRequiredService<AuditLog>().RecordAsync(new AuditEntry("test.action", "alice", null));
        await using var db = _host.CreateDbContext();
        var stored = await db.AuditEvents.SingleAsync(e => e.Id == id);
        db.Entry(stored).Property(e => e.Actor).CurrentValue = "mallory";

        await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
        await using var check = _host.CreateDbContext();
        Assert.Equal("alice", (await check.AuditEvents.SingleAsync(e => e.Id == id)).Actor);
    }
}
