using Microsoft.Extensions.Time.Testing;

namespace PatchPortal.Tests.Unit.Portal.Runs;

/// <summary>
/// The wall clock as the run engine reads it: the fake clock's time plus an offset that <see cref="Jump"/> moves
/// forward or back, as an operator, NTP or a resumed VM moves a real system clock. Timers and timestamps stay on the
/// fake monotonic clock (a delay started before a jump still lasts its length), as they do on a real machine.
/// </summary>
internal sealed class WallClock(FakeTimeProvider monotonic) : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override long TimestampFrequency => monotonic.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => monotonic.LocalTimeZone;

    /// <summary>Moves the wall clock by <paramref name="by"/> (negative: back) without any time passing.</summary>
    public void Jump(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => monotonic.GetUtcNow() + Offset;

    public override long GetTimestamp() => monotonic.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        monotonic.CreateTimer(callback, state, dueTime, period);
}
