namespace PatchPortal.Portal.Dashboard;

/// <summary>
/// Coalesces bursts of change notifications into at most one reload per interval: a fleet poll lands hundreds of
/// host changes within seconds, and each browser should re-query a few times, not hundreds.
/// </summary>
public sealed class LiveRefresh(Func<Task> reload, TimeSpan interval, TimeProvider time) : IDisposable
{
    private readonly CancellationTokenSource _stopped = new();
    private int _queued;
    private long _lastReload = time.GetTimestamp() - (long)(interval.TotalSeconds * time.TimestampFrequency);

    /// <summary>Asks for a reload; returns at once. Calls during a pending reload are folded into it.</summary>
    public void Request()
    {
        if (_stopped.IsCancellationRequested || Interlocked.Exchange(ref _queued, 1) == 1)
        {
            return;
        }

        _ = RunAsync();
    }

    private async Task RunAsync()
    {
        try
        {
            var wait = interval - time.GetElapsedTime(Interlocked.Read(ref _lastReload));
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, _stopped.Token);
            }

            Volatile.Write(ref _queued, 0);
            Interlocked.Exchange(ref _lastReload, time.GetTimestamp());
            await reload();
        }
        catch (OperationCanceledException) when (_stopped.IsCancellationRequested)
        {
            // The component went away.
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the change and the reload.
        }
    }

    public void Dispose()
    {
        _stopped.Cancel();
        _stopped.Dispose();
    }
}
