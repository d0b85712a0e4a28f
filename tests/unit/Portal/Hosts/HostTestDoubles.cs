using System.Collections.Concurrent;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Inventory;

namespace PatchPortal.Tests.Unit.Portal.Hosts;

/// <summary>Stands in for the PKI-backed enrolment (another feature): issues a distinct token per call and records the calls.</summary>
internal sealed class FakeHostEnrollment : IHostEnrollment
{
    public ConcurrentQueue<(Guid HostId, string Actor, string? SourceAddress)> Calls { get; } = new();

    public Task<EnrollmentTicket> IssueTokenAsync(Guid hostId, string actor, string? sourceAddress, CancellationToken cancellationToken)
    {
        Calls.Enqueue((hostId, actor, sourceAddress));
        var token = $"tok-{Calls.Count}-{hostId:N}";
        return Task.FromResult(new EnrollmentTicket(token, new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero),
            $"sudo patch-agent enroll --portal https://portal.example.test --token {token}",
            $"curl -fsSL https://portal.example.test/downloads/install.sh | sudo sh -s -- --portal https://portal.example.test --token {token}"));
    }
}

/// <summary>Stands in for the Hangfire-backed scheduler (another feature): records which hosts were asked for.</summary>
internal sealed class RecordingRefreshScheduler : IHostRefreshScheduler
{
    public ConcurrentQueue<IReadOnlyCollection<Guid>> Requests { get; } = new();

    public void RefreshNow(IReadOnlyCollection<Guid> hostIds) => Requests.Enqueue(hostIds.ToList());
}
