using System.IO.Enumeration;
using System.Runtime.InteropServices;

namespace PatchPortal.Agent.Packages;

/// <summary>
/// A cheap fingerprint of the files a package manager's answers depend on: a handful of stat calls, no process. While it
/// is unchanged, a cached answer is still exact.
/// </summary>
/// <remarks>
/// It is the exact sequence of the modification times and sizes of the given files and of the files directly in the
/// given directories, with each directory's own time and a hash of each file name (adding, removing or renaming a file
/// changes both), so a change to any of them is never missed; an equal name hash for a renamed file would also need
/// its directory's time, its own time and its size to stay equal. A symbolic link counts as its target. It is computed
/// on every listing, so it makes no path strings or file objects (docs/benchmarks.md).
/// </remarks>
public class StateStamp(IReadOnlyList<(string Path, bool IsDirectory)> sources)
{
    /// <summary>The backends' <see cref="TrustFor"/>: a second.</summary>
    public static readonly TimeSpan DefaultTrust = TimeSpan.FromSeconds(1);

    private const long Missing = -1;

    private static readonly EnumerationOptions Entries = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };

    private readonly (string Path, bool IsDirectory)[] _sources = [.. sources];

    /// <summary>Per thread, the figures of the fingerprint being computed (it is computed synchronously).</summary>
    [ThreadStatic]
    private static List<long>? t_values;

    private volatile Confirmation? _confirmed;

    /// <summary>
    /// How long a fingerprint this stamp computed is taken as current without looking at the files again (zero: always
    /// look). A listing under load would otherwise spend about a fifth of its CPU on the stat calls; the price is that a
    /// change made outside the agent shows up to this much later. The agent's own changes call <see cref="Forget"/>.
    /// </summary>
    public TimeSpan TrustFor { get; init; } = TimeSpan.Zero;

    /// <summary>The clock <see cref="TrustFor"/> is measured on.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>A fingerprint, and when it was last seen to match the files.</summary>
    private sealed record Confirmation(Value Value, long At);

    /// <summary>
    /// The current fingerprint: <paramref name="previous"/> itself when nothing changed (no allocation then), or when it
    /// was confirmed less than <see cref="TrustFor"/> ago.
    /// </summary>
    public Value Compute(Value? previous = null)
    {
        if (previous is not null && _confirmed is { } confirmed && ReferenceEquals(confirmed.Value, previous) && Time.GetElapsedTime(confirmed.At) < TrustFor)
        {
            return previous;
        }

        var current = ComputeFromFiles(previous);
        if (TrustFor > TimeSpan.Zero)
        {
            _confirmed = new Confirmation(current, Time.GetTimestamp());
        }

        return current;
    }

    /// <summary>Looks at the files on the next <see cref="Compute"/> whatever <see cref="TrustFor"/> says (after a change the agent made).</summary>
    public void Forget() => _confirmed = null;

    private Value ComputeFromFiles(Value? previous)
    {
        var values = t_values ??= new List<long>(64);
        values.Clear();
        foreach (var (path, isDirectory) in _sources)
        {
            if (isDirectory)
            {
                AddDirectory(values, path);
            }
            else
            {
                AddFile(values, path);
            }
        }

        return previous is not null && previous.Matches(CollectionsMarshal.AsSpan(values)) ? previous : new Value([.. values]);
    }

    private static void AddDirectory(List<long> values, string directory)
    {
        var info = new DirectoryInfo(directory);
        if (!info.Exists)
        {
            values.Add(Missing);
            return;
        }

        values.Add(info.LastWriteTimeUtc.Ticks);
        try
        {
            var files = new FileSystemEnumerable<(long Name, long Modified, long Length)>(directory, static (ref entry) => Stat(ref entry), Entries)
            {
                ShouldIncludePredicate = static (ref entry) => !entry.IsDirectory,
            };
            foreach (var (name, modified, length) in files)
            {
                values.Add(name);
                values.Add(modified);
                values.Add(length);
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Removed while being read: the next fingerprint says so.
        }

        // The end of this directory's entries, so a file moving from one directory to the next cannot shift unnoticed.
        values.Add(Missing);
    }

    /// <summary>An entry's name hash, time and size from the status its enumeration read; a symbolic link's from its target.</summary>
    private static (long Name, long Modified, long Length) Stat(ref FileSystemEntry entry)
    {
        if ((entry.Attributes & FileAttributes.ReparsePoint) == 0)
        {
            return (Name(ref entry), entry.LastWriteTimeUtc.UtcTicks, entry.Length);
        }

        // A FileInfo of the link describes the link itself; its final target is what apt reads.
        return File.ResolveLinkTarget(entry.ToFullPath(), returnFinalTarget: true) is FileInfo { Exists: true } target
            ? (Name(ref entry), target.LastWriteTimeUtc.Ticks, target.Length)
            : (Name(ref entry), Missing, Missing);
    }

    private static void AddFile(List<long> values, string path)
    {
        var info = new FileInfo(path);
        if (info.Exists && (info.Attributes & FileAttributes.ReparsePoint) != 0)
        {
            info = File.ResolveLinkTarget(path, returnFinalTarget: true) as FileInfo ?? info;
        }

        values.Add(info.Exists ? info.LastWriteTimeUtc.Ticks : Missing);
        values.Add(info.Exists ? info.Length : Missing);
    }

    /// <summary>A file name's hash (this process's string hash: fingerprints are only compared within one process).</summary>
    private static long Name(ref FileSystemEntry entry) => string.GetHashCode(entry.FileName);

    /// <summary>One fingerprint: equal only when every time and size is.</summary>
    public sealed class Value(long[] values) : IEquatable<Value>
    {
        private readonly long[] _values = values;

        public bool Equals(Value? other) => other is not null && Matches(other._values);

        internal bool Matches(ReadOnlySpan<long> values) => values.SequenceEqual(_values);

        public override bool Equals(object? obj) => Equals(obj as Value);

        public override int GetHashCode()
        {
            var hash = default(HashCode);
            hash.AddBytes(MemoryMarshal.AsBytes(_values.AsSpan()));
            return hash.ToHashCode();
        }

        public override string ToString() => string.Join(',', _values);
    }
}
