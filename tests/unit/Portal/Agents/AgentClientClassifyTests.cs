using System.Security.Authentication;
using PatchPortal.Portal.Agents;

namespace PatchPortal.Tests.Unit.Portal.Agents;

public sealed class AgentClientClassifyTests
{
    [Fact]
    public void Classify_IsCertificateRejected_WhenTheHandshakeWasRefused()
    {
        var refused = new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established",
            new AuthenticationException("The remote certificate was rejected by the provided RemoteCertificateValidationCallback."));

        Assert.Equal(AgentFailureKind.CertificateRejected, AgentClient.Classify(refused));
    }

    [Fact]
    public void Classify_IsUnreachableAndTransient_WhenTheConnectionEndedDuringTheHandshake()
    {
        var ended = new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established",
            new IOException("Received an unexpected EOF or 0 bytes from the transport stream."));

        var kind = AgentClient.Classify(ended);

        Assert.Equal(AgentFailureKind.Unreachable, kind);
        Assert.True(new AgentFailure(kind, "ended").IsTransient);
    }

    [Theory]
    [InlineData(HttpRequestError.ResponseEnded, AgentFailureKind.InvalidResponse)]
    [InlineData(HttpRequestError.InvalidResponse, AgentFailureKind.InvalidResponse)]
    [InlineData(HttpRequestError.ConnectionError, AgentFailureKind.Unreachable)]
    [InlineData(HttpRequestError.NameResolutionError, AgentFailureKind.Unreachable)]
    public void Classify_FollowsTheRequestError_WhenNoHandshakeFailed(HttpRequestError error, AgentFailureKind expected) =>
        Assert.Equal(expected, AgentClient.Classify(new HttpRequestException(error, "failed")));
}
