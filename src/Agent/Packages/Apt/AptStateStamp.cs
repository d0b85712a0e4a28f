using System.Globalization;
using System.Text;

namespace PatchPortal.Agent.Packages.Apt;

/// <summary>A cheap fingerprint of everything apt's answers depend on: a handful of stat calls, no process.</summary>
/// <remarks>
/// dpkg rewrites /var/lib/dpkg/status on every change and apt-get update replaces the files in /var/lib/apt/lists,
/// so their modification times and sizes (plus the source and pinning configuration) change whenever the installed
/// set or the pending updates can. While the fingerprint is unchanged, a cached answer is still exact. It is a
/// string rather than a hash so that two different states can never compare equal.
/// </remarks>
public sealed class AptStateStamp(string dpkgStatus = "/var/lib/dpkg/status", string aptLists = "/var/lib/apt/lists", string aptConfig = "/etc/apt")
{
    public string Compute()
    {
        var stamp = new StringBuilder(1024);
        AddFile(stamp, dpkgStatus);
        AddDirectory(stamp, aptLists);
        AddFile(stamp, Path.Combine(aptConfig, "sources.list"));
        AddDirectory(stamp, Path.Combine(aptConfig, "sources.list.d"));
        AddFile(stamp, Path.Combine(aptConfig, "preferences"));
        AddDirectory(stamp, Path.Combine(aptConfig, "preferences.d"));
        return stamp.ToString();
    }

    private static void AddDirectory(StringBuilder stamp, string directory)
    {
        if (!Directory.Exists(directory))
        {
            stamp.Append(directory).Append(":-;");
            return;
        }

        stamp.Append(directory).Append(':').Append(Directory.GetLastWriteTimeUtc(directory).Ticks).Append(';');
        foreach (var file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            AddFile(stamp, file);
        }
    }

    private static void AddFile(StringBuilder stamp, string path)
    {
        var info = new FileInfo(path);
        stamp.Append(path).Append(':');
        if (info.Exists)
        {
            stamp.Append(info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append(',').Append(info.Length.ToString(CultureInfo.InvariantCulture));
        }

        stamp.Append(';');
    }
}
