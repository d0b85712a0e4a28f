using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Agent.Jobs;

/// <summary>Keeps one JSON file per job under <c>{DataDir}/jobs/</c>, so a restart of the agent loses no job record.</summary>
public sealed class JobStore
{
    private const string Extension = ".json";
    private const string TempExtension = ".tmp";

    private static readonly JsonTypeInfo<Job> JobTypeInfo = (JsonTypeInfo<Job>)CreateFileOptions().GetTypeInfo(typeof(Job));

    private readonly TimeProvider _time;
    private readonly ILogger<JobStore> _logger;

    public JobStore(IOptions<AgentOptions> options, TimeProvider time, ILogger<JobStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _logger = logger;
        Directory = Path.Combine(options.Value.DataDir, "jobs");
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The folder holding the job files.</summary>
    public string Directory { get; }

    /// <summary>
    /// Reads every job file. A job that was pending or running when the agent stopped becomes interrupted (and is
    /// saved so); a file that cannot be read as a job is moved aside, because one bad file must not stop the agent.
    /// </summary>
    public IReadOnlyList<Job> LoadAll()
    {
        foreach (var temp in System.IO.Directory.EnumerateFiles(Directory, "*" + TempExtension))
        {
            // A write the agent did not finish: the previous complete file (if any) is still in place.
            TryDelete(temp);
        }

        var jobs = new List<Job>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + Extension))
        {
            var job = TryRead(path, out var problem);
            if (job is null)
            {
                MoveAside(path, problem ?? "unreadable");
                continue;
            }

            if (job.Status is JobStatuses.Pending or JobStatuses.Running)
            {
                var previous = job.Status;
                // A reboot that was running is the usual way for the agent to stop: say so rather than alarm.
                var message = job.Operation == JobOperations.Reboot && previous == JobStatuses.Running
                    ? "The agent stopped while the reboot command ran (as it does when the host reboots)."
                    : "The agent stopped before this job finished.";
                job.TransitionTo(JobStatuses.Interrupted, _time.GetUtcNow(), message);
                job.Error = $"The agent stopped while the job was {previous}.";
                Save(job);
                _logger.JobInterrupted(job.Id, previous);
            }

            jobs.Add(job);
        }

        return jobs;
    }

    /// <summary>Writes the job atomically: a temp file, flushed to disk, renamed over the old one. The caller holds the job's lock.</summary>
    public void Save(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var path = PathFor(job.Id);
        var temp = path + TempExtension;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(job, JobTypeInfo);
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            // Without the fsync a crash after the rename can leave an empty file where the old record was.
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        job.Dirty = false;
    }

    public void Delete(string jobId) => TryDelete(PathFor(jobId));

    internal string PathFor(string jobId)
    {
        // Job ids are GUIDs the agent made; anything else must never become part of a path.
        if (!Guid.TryParseExact(jobId, "D", out _))
        {
            throw new ArgumentException($"Not a job id: {jobId}", nameof(jobId));
        }

        return Path.Combine(Directory, jobId + Extension);
    }

    private static Job? TryRead(string path, out string? problem)
    {
        problem = null;
        try
        {
            var job = JsonSerializer.Deserialize(File.ReadAllBytes(path), JobTypeInfo);
            if (job is null)
            {
                problem = "the file holds null";
            }
            else if (!Guid.TryParseExact(job.Id, "D", out _)
                || !string.Equals(Path.GetFileNameWithoutExtension(path), job.Id, StringComparison.Ordinal))
            {
                problem = $"the file name does not match the job id {job.Id}";
            }
            else if (job.Logs is null || job.Packages is null || job.Changes is null
                || job.PackageOperation is { Targets: null } || job.ExclusiveMode != job.PackageOperation is not null)
            {
                // Explicit nulls get past the serializer; the rest of the agent relies on these being there.
                problem = "a required list is null, or the package operation does not fit the job";
            }
            else if (!JobStatuses.All.Contains(job.Status) || !JobOperations.All.Contains(job.Operation))
            {
                problem = $"unknown status {job.Status} or operation {job.Operation}";
            }
            else
            {
                return job;
            }
        }
        catch (JsonException ex)
        {
            problem = ex.Message;
        }
        catch (IOException ex)
        {
            problem = ex.Message;
        }
        catch (UnauthorizedAccessException ex)
        {
            problem = ex.Message;
        }

        return null;
    }

    private void MoveAside(string path, string problem)
    {
        var aside = $"{path}.corrupt-{_time.GetUtcNow():yyyyMMddHHmmssfff}";
        try
        {
            File.Move(path, aside, overwrite: false);
            _logger.CorruptJobFile(path, problem, aside);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.CorruptJobFileNotMoved(path, problem, ex.Message);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Retention tries again later; a leftover file is loaded (or set aside) at the next start.
        }
    }

    private static JsonSerializerOptions CreateFileOptions()
    {
        var options = AgentJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        options.Converters.Add(new JsonStringEnumConverter<OperationKind>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        return Json.AgentWireJson.WithMetadata(options);
    }
}
