using System.Globalization;

namespace PatchPortal.Bench;

/// <summary>
/// A .NET process's resident memory by owner, read from <c>/proc/PID/smaps</c>: where its RSS goes, so that growth can
/// be put down to the managed heap, native allocations (glibc's heaps), JIT code or the files mapped in. The owners are
/// told apart by the shape of their mappings, which is a heuristic, named as such in the report:
/// <list type="bullet">
/// <item>the GC reserves one large address range up front (256 GiB with regions, its bookkeeping right below) and
/// commits inside it: a run of adjacent anonymous mappings spanning at least <see cref="GcReservationBytes"/>;</item>
/// <item>glibc's malloc serves the main thread from <c>[heap]</c> and other threads from arenas, anonymous heaps of at
/// most 64 MiB, each aligned to 64 MiB;</item>
/// <item>with W^X on (the .NET default), JIT code and stubs live in <c>/memfd:doublemapper</c>, mapped twice (a writable
/// and an executable view), and both views count in RSS;</item>
/// <item>thread stacks are anonymous mappings right above a small guard mapping with no access.</item>
/// </list>
/// </summary>
public static class MemoryMap
{
    public const long GcReservationBytes = 4L << 30;
    private const long ArenaBytes = 64L << 20;

    public const string ManagedHeap = "managed heap (the GC's reservation: regions and their bookkeeping)";
    public const string MallocMain = "malloc, main heap ([heap])";
    public const string MallocArenas = "malloc, thread arenas";
    public const string JitCode = "JIT code and stubs (/memfd:doublemapper, both views)";
    public const string Assemblies = "managed assemblies (.dll)";
    public const string NativeLibraries = "native libraries (.so)";
    public const string ThreadStacks = "thread stacks";
    public const string OtherAnonymous = "other anonymous (runtime data, loader heaps)";
    public const string Other = "other";

    /// <summary>The owners in the order a report lists them.</summary>
    public static IReadOnlyList<string> Owners { get; } =
        [ManagedHeap, MallocMain, MallocArenas, JitCode, Assemblies, NativeLibraries, ThreadStacks, OtherAnonymous, Other];

    private sealed record Mapping(ulong Start, ulong End, string Permissions, string Path)
    {
        public long ResidentKb { get; set; }

        public bool Anonymous => Path.Length == 0;
    }

    /// <summary>The resident MiB of each owner for a running process, or null when its smaps cannot be read.</summary>
    public static IReadOnlyDictionary<string, double>? Of(int pid)
    {
        try
        {
            return Classify(File.ReadLines($"/proc/{pid}/smaps"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The resident MiB of each owner, from the lines of an smaps file.</summary>
    public static IReadOnlyDictionary<string, double> Classify(IEnumerable<string> smaps)
    {
        var maps = Parse(smaps);
        var owners = Owners.ToDictionary(o => o, _ => 0.0, StringComparer.Ordinal);
        var inGcRange = GcRange(maps);
        for (var i = 0; i < maps.Count; i++)
        {
            owners[Owner(maps, i, inGcRange)] += maps[i].ResidentKb / 1024.0;
        }

        return owners;
    }

    private static List<Mapping> Parse(IEnumerable<string> smaps)
    {
        var maps = new List<Mapping>();
        foreach (var line in smaps)
        {
            if (line.StartsWith("Rss:", StringComparison.Ordinal) && maps.Count > 0)
            {
                maps[^1].ResidentKb = long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                continue;
            }

            // A mapping's header: "start-end perms offset dev inode [path]"; attribute lines start with a name and a colon.
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            var dash = fields.Length >= 5 ? fields[0].IndexOf('-', StringComparison.Ordinal) : -1;
            if (dash > 0
                && ulong.TryParse(fields[0].AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
                && ulong.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end))
            {
                maps.Add(new Mapping(start, end, fields[1], fields.Length > 5 ? fields[5].Trim() : string.Empty));
            }
        }

        return maps;
    }

    /// <summary>Marks the mappings in runs of adjacent anonymous mappings that span a GC-sized reservation.</summary>
    private static bool[] GcRange(List<Mapping> maps)
    {
        var marked = new bool[maps.Count];
        var i = 0;
        while (i < maps.Count)
        {
            if (!maps[i].Anonymous)
            {
                i++;
                continue;
            }

            // smaps is read while the process runs, so a mapping that changed during the read can show up twice,
            // overlapping its neighbour: overlap counts as adjacent.
            var j = i;
            var end = maps[i].End;
            while (j + 1 < maps.Count && maps[j + 1].Anonymous && maps[j + 1].Start <= end)
            {
                j++;
                end = Math.Max(end, maps[j].End);
            }

            if (end - maps[i].Start >= GcReservationBytes)
            {
                Array.Fill(marked, true, i, j - i + 1);
            }

            i = j + 1;
        }

        return marked;
    }

    private static string Owner(List<Mapping> maps, int i, bool[] inGcRange)
    {
        var map = maps[i];
        var path = map.Path;
        if (inGcRange[i])
        {
            return ManagedHeap;
        }

        if (path == "[heap]")
        {
            return MallocMain;
        }

        if (path.StartsWith("/memfd:doublemapper", StringComparison.Ordinal))
        {
            return JitCode;
        }

        if (path.EndsWith(".dll", StringComparison.Ordinal))
        {
            return Assemblies;
        }

        if (path.EndsWith(".so", StringComparison.Ordinal) || path.Contains(".so.", StringComparison.Ordinal))
        {
            return NativeLibraries;
        }

        if (!map.Anonymous)
        {
            return Other;
        }

        if (map.Start % ArenaBytes == 0 && map.End - map.Start <= ArenaBytes)
        {
            return MallocArenas;
        }

        var guard = i > 0 ? maps[i - 1] : null;
        return guard is { Anonymous: true } && guard.End == map.Start && guard.Permissions.StartsWith("---", StringComparison.Ordinal) && guard.End - guard.Start <= 64 * 1024
            ? ThreadStacks
            : OtherAnonymous;
    }
}
