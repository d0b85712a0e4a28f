using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Data;

namespace PatchPortal.Portal.Audit;

/// <summary>A signed record, kept outside the database, of the chain's head at one moment.</summary>
public sealed record AuditCheckpoint(long ChainIndex, string Hash, DateTimeOffset WrittenAt, string Signature);

public sealed class AuditOptions
{
    public const string Section = "Portal:Audit";

    /// <summary>How often the chain's head is written to the checkpoint file and the log (when it moved).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 24 * 60)]
    public int CheckpointMinutes { get; set; } = 15;
}

/// <summary>Where the audit checkpoints live: <c>{Portal:DataDir}/audit</c>.</summary>
public sealed record AuditDirectory(string Path);

/// <summary>
/// Periodic signed checkpoints of the audit chain, written outside the database: one JSON line per checkpoint in
/// <c>{DataDir}/audit/checkpoints.jsonl</c> (appended, flushed to disk), signed with an ECDSA key of its own
/// (<c>checkpoint.key</c>, mode 600; the public half in <c>checkpoint.pub.pem</c>), and the same line in the log
/// (journald/syslog under systemd). Someone who can rewrite the table and recompute every hash still cannot make
/// the chain agree with checkpoints already written, nor with the copies in the system log.
/// </summary>
public sealed partial class AuditCheckpoints : IDisposable
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly IDbContextFactory<PortalDbContext> _factory;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditCheckpoints> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lazy<ECDsa> _key;

    public AuditCheckpoints(IDbContextFactory<PortalDbContext> factory, AuditDirectory directory, TimeProvider time, ILogger<AuditCheckpoints> logger)
    {
        ArgumentNullException.ThrowIfNull(directory);
        _factory = factory;
        _time = time;
        _logger = logger;
        Directory = directory.Path;
        _key = new Lazy<ECDsa>(LoadOrCreateKey);
    }

    public string Directory { get; }

    public string FilePath => Path.Combine(Directory, "checkpoints.jsonl");

    /// <summary>Appends a checkpoint of the current head, unless the last one already names it. Returns what was written.</summary>
    public async Task<AuditCheckpoint?> WriteAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await _factory.CreateDbContextAsync(cancellationToken);
            var head = await db.AuditEvents.Where(e => e.ChainIndex != null).OrderByDescending(e => e.ChainIndex)
                .Select(e => new { e.ChainIndex, e.Hash }).FirstOrDefaultAsync(cancellationToken);
            var written = Read();
            if (head is null || (written.Count > 0 && written[^1].ChainIndex == head.ChainIndex && written[^1].Hash == head.Hash))
            {
                return null;
            }

            var now = _time.GetUtcNow();
            var checkpoint = new AuditCheckpoint(head.ChainIndex!.Value, head.Hash!, now, Convert.ToBase64String(_key.Value.SignData(Payload(head.ChainIndex.Value, head.Hash!, now), HashAlgorithmName.SHA256)));
            var line = JsonSerializer.Serialize(checkpoint, JsonOptions) + "\n";
            await using (var stream = new FileStream(FilePath, new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, UnixCreateMode = PrivateFile | UnixFileMode.GroupRead }))
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            LogCheckpoint(_logger, checkpoint.ChainIndex, checkpoint.Hash, checkpoint.Signature);
            return checkpoint;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The checkpoints in the file whose signature verifies; a forged or damaged line is logged and left out.</summary>
    public IReadOnlyList<AuditCheckpoint> Read()
    {
        if (!File.Exists(FilePath))
        {
            return [];
        }

        var valid = new List<AuditCheckpoint>();
        foreach (var line in File.ReadLines(FilePath).Where(l => l.Length > 0))
        {
            AuditCheckpoint? checkpoint = null;
            try
            {
                checkpoint = JsonSerializer.Deserialize<AuditCheckpoint>(line, JsonOptions);
            }
            catch (JsonException)
            {
            }

            if (checkpoint is not null && Verify(checkpoint))
            {
                valid.Add(checkpoint);
            }
            else
            {
                LogBadCheckpoint(_logger, FilePath);
            }
        }

        return valid;
    }

    public bool Verify(AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        try
        {
            return _key.Value.VerifyData(Payload(checkpoint.ChainIndex, checkpoint.Hash, checkpoint.WrittenAt), Convert.FromBase64String(checkpoint.Signature), HashAlgorithmName.SHA256);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Verifies the whole chain against the database and the signed checkpoints.</summary>
    public async Task<AuditChainReport> VerifyChainAsync(CancellationToken cancellationToken)
    {
        await using var db = await _factory.CreateDbContextAsync(cancellationToken);
        return await AuditChain.VerifyAsync(db, Read(), cancellationToken);
    }

    public void Dispose()
    {
        _gate.Dispose();
        if (_key.IsValueCreated)
        {
            _key.Value.Dispose();
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private static byte[] Payload(long index, string hash, DateTimeOffset at) =>
        Encoding.UTF8.GetBytes($"patchportal-audit-checkpoint-v1|{index.ToString(CultureInfo.InvariantCulture)}|{hash}|{at.UtcTicks.ToString(CultureInfo.InvariantCulture)}");

    private ECDsa LoadOrCreateKey()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var keyPath = Path.Combine(Directory, "checkpoint.key");
        var key = ECDsa.Create();
        if (File.Exists(keyPath))
        {
            if ((File.GetUnixFileMode(keyPath) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            {
                throw new InvalidOperationException($"the audit checkpoint key ({keyPath}) is readable by others; run: chmod 600 {keyPath}");
            }

            key.ImportFromPem(File.ReadAllText(keyPath));
            return key;
        }

        key.GenerateKey(ECCurve.NamedCurves.nistP256);
        using (var stream = new FileStream(keyPath, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = PrivateFile }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }

        File.WriteAllText(Path.Combine(Directory, "checkpoint.pub.pem"), key.ExportSubjectPublicKeyInfoPem());
        return key;
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Audit checkpoint: entry {ChainIndex} hash {Hash} signature {Signature}")]
    private static partial void LogCheckpoint(ILogger logger, long chainIndex, string hash, string signature);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Error, Message = "A line of {Path} is not a checkpoint signed by this portal; it is ignored")]
    private static partial void LogBadCheckpoint(ILogger logger, string path);
}

/// <summary>Writes a checkpoint at start, every <c>Portal:Audit:CheckpointMinutes</c>, and at shutdown.</summary>
public sealed partial class AuditCheckpointWriter(AuditCheckpoints checkpoints, IOptions<AuditOptions> options, TimeProvider time, ILogger<AuditCheckpointWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.CheckpointMinutes), time);
        do
        {
            await WriteAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await WriteAsync(cancellationToken);
    }

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        try
        {
            await checkpoints.WriteAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DbUpdateException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(EventId = 7003, Level = LogLevel.Error, Message = "Could not write an audit checkpoint")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
