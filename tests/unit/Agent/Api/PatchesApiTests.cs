using PatchPortal.Agent.Api;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Tests.Unit.Agent.Api;

public class PatchesApiTests
{
    [Theory]
    [InlineData("Critical", false, "critical")]
    [InlineData("Important", true, "high")]
    [InlineData("Moderate", true, "medium")]
    [InlineData("Low", true, "low")]
    [InlineData(null, true, "high")]
    [InlineData(null, false, "low")]
    public void SeverityOf_PrefersAdvisorySeverity_ElseSecurityIsHigh(string? severity, bool security, string expected) =>
        Assert.Equal(expected, PatchesApi.SeverityOf(new AvailableUpdate { Name = "openssl", CandidateVersion = "3.0.17-1", Severity = severity, IsSecurity = security }));

    [Fact]
    public void PatchId_JoinsNameAndCandidateWithAt() =>
        Assert.Equal("libc6@2.36-9+deb12u10", PatchesApi.PatchId(new AvailableUpdate { Name = "libc6", CandidateVersion = "2.36-9+deb12u10" }));
}
