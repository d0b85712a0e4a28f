using System.Collections.Concurrent;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Tests.Unit.Agent.Packages;

/// <summary>Collects what a backend reports while it runs a job.</summary>
internal sealed class RecordingJobOutput : IJobOutput
{
    public ConcurrentQueue<(string Stream, string Line)> Lines { get; } = new();

    public ConcurrentQueue<(int Percent, string? Message)> ProgressReports { get; } = new();

    public void Line(string stream, string line) => Lines.Enqueue((stream, line));

    public void Progress(int percent, string? message) => ProgressReports.Enqueue((percent, message));
}
