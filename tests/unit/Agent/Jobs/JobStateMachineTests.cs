using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Jobs;

namespace PatchPortal.Tests.Unit.Agent.Jobs;

public class JobStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("pending", "running")]
    [InlineData("pending", "cancelled")]
    [InlineData("pending", "interrupted")]
    [InlineData("running", "completed")]
    [InlineData("running", "failed")]
    [InlineData("running", "cancelled")]
    [InlineData("running", "timeout")]
    [InlineData("running", "interrupted")]
    public void CanTransition_ReturnsTrue_WhenMoveIsLegal(string from, string to) =>
        Assert.True(JobStateMachine.CanTransition(from, to));

    [Theory]
    [InlineData("pending", "completed")]
    [InlineData("pending", "timeout")]
    [InlineData("running", "pending")]
    [InlineData("completed", "running")]
    [InlineData("failed", "completed")]
    [InlineData("cancelled", "running")]
    [InlineData("timeout", "failed")]
    [InlineData("interrupted", "running")]
    public void CanTransition_ReturnsFalse_WhenMoveIsIllegal(string from, string to) =>
        Assert.False(JobStateMachine.CanTransition(from, to));

    [Fact]
    public void TransitionTo_Throws_WhenJobIsAlreadyFinal()
    {
        var job = NewJob();
        job.TransitionTo(JobStatuses.Cancelled, T0);

        Assert.Throws<InvalidOperationException>(() => job.TransitionTo(JobStatuses.Running, T0));
        Assert.Equal(JobStatuses.Cancelled, job.Status);
    }

    [Fact]
    public void TransitionTo_StampsStartAndCompletion_WhenJobRunsToCompletion()
    {
        var job = NewJob();

        job.TransitionTo(JobStatuses.Running, T0.AddSeconds(1));
        job.TransitionTo(JobStatuses.Completed, T0.AddSeconds(5), "done");

        Assert.Equal(T0.AddSeconds(1), job.StartedAt);
        Assert.Equal(T0.AddSeconds(5), job.CompletedAt);
        Assert.Equal(T0.AddSeconds(5), job.UpdatedAt);
        Assert.Equal(100, job.Progress);
        Assert.Equal("done", job.Message);
    }

    [Fact]
    public void AppendLog_KeepsOnlyTheLastLines_WhenOutputExceedsLimit()
    {
        var job = NewJob();

        for (var i = 0; i < Job.MaxLogLines + 25; i++)
        {
            job.AppendLog($"line {i}");
        }

        Assert.Equal(Job.MaxLogLines, job.Logs.Count);
        Assert.Equal("line 25", job.Logs[0]);
        Assert.Equal($"line {Job.MaxLogLines + 24}", job.Logs[^1]);
    }

    [Fact]
    public void ToDetail_SetsProgressAndProgressPercent_WhenJobHasProgress()
    {
        var job = NewJob();
        job.Progress = 42;

        var detail = job.ToDetail();

        Assert.Equal(42, detail.Progress);
        Assert.Equal(42, detail.ProgressPercent);
        Assert.Equal(42, job.ToSummary().ProgressPercent);
    }

    private static Job NewJob() => new()
    {
        Id = Guid.NewGuid().ToString("D"),
        Operation = JobOperations.Install,
        CreatedAt = T0,
        UpdatedAt = T0,
    };
}
