using Microsoft.Extensions.Time.Testing;
using PatchPortal.Portal.Dashboard;

namespace PatchPortal.Tests.Unit.Portal.Dashboard;

public sealed class LiveRefreshTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private int _reloads;

    private LiveRefresh Create() => new(() =>
    {
        Interlocked.Increment(ref _reloads);
        return Task.CompletedTask;
    }, TimeSpan.FromSeconds(1), _time);

    [Fact]
    public async Task Request_ReloadsAtOnceThenFoldsBurstIntoOneReload_WhenChangesArriveWithinInterval()
    {
        using var live = Create();

        live.Request();
        Assert.Equal(1, Volatile.Read(ref _reloads));
        for (var i = 0; i < 50; i++)
        {
            live.Request();
        }

        Assert.Equal(1, Volatile.Read(ref _reloads));
        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitForReloadsAsync(2);
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(2, Volatile.Read(ref _reloads));
    }

    [Fact]
    public void Request_DoesNotReload_AfterDispose()
    {
        var live = Create();
        live.Request();
        live.Request();

        live.Dispose();
        _time.Advance(TimeSpan.FromSeconds(5));
        live.Request();

        Assert.Equal(1, Volatile.Read(ref _reloads));
    }

    private async Task WaitForReloadsAsync(int expected)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (Volatile.Read(ref _reloads) < expected)
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
