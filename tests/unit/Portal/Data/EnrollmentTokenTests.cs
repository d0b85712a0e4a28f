using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Tests.Unit.Portal.Data;

public sealed class EnrollmentTokenTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TryConsume_Succeeds_WhenUnusedAndUnexpired()
    {
        var token = new EnrollmentToken { TokenHash = "h", ExpiresAt = Now.AddMinutes(10) };

        Assert.True(token.TryConsume(Now));
        Assert.Equal(Now, token.UsedAt);
    }

    [Fact]
    public void TryConsume_Fails_WhenAlreadyUsed()
    {
        var token = new EnrollmentToken { TokenHash = "h", ExpiresAt = Now.AddMinutes(10) };
        token.TryConsume(Now);

        Assert.False(token.TryConsume(Now.AddMinutes(1)));
        Assert.Equal(Now, token.UsedAt);
    }

    [Fact]
    public void TryConsume_Fails_WhenExpired()
    {
        var token = new EnrollmentToken { TokenHash = "h", ExpiresAt = Now };

        Assert.False(token.TryConsume(Now));
        Assert.Null(token.UsedAt);
    }
}
