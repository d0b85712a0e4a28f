using System.Globalization;

namespace PatchPortal.Agent.Packages.Dnf;

/// <summary>Joins dnf's separate answers (updates, security advisories, installed versions) into pending updates.</summary>
public static class DnfUpdates
{
    public static IReadOnlyList<AvailableUpdate> Combine(IReadOnlyList<DnfUpdateRow> rows, ILookup<string, DnfAdvisoryRow> advisories, IReadOnlyDictionary<string, string> installed)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(advisories);
        ArgumentNullException.ThrowIfNull(installed);
        return rows.Select(row =>
        {
            var matching = advisories[row.Name].ToList();
            return new AvailableUpdate
            {
                Name = row.Name,
                CurrentVersion = installed.GetValueOrDefault(row.Name),
                CandidateVersion = row.Version,
                Architecture = row.Architecture,
                Source = row.Repository,
                IsSecurity = matching.Count > 0,
                Severity = matching.Select(a => a.Severity).OrderBy(Rank).FirstOrDefault(),
                AdvisoryIds = matching.Select(a => a.AdvisoryId).Distinct(StringComparer.Ordinal).ToList(),
                RequiresReboot = RebootHeuristic.IsRebootPackageRpm(row.Name),
            };
        }).ToList();
    }

    /// <summary>True when the most recently installed kernel is not the running one.</summary>
    /// <param name="kernels"><c>installtime \t version-release.arch</c> lines.</param>
    public static bool NewerKernelInstalled(string kernels, string runningRelease)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        var newest = kernels.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Where(fields => fields.Length == 2 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .OrderByDescending(fields => long.Parse(fields[0], CultureInfo.InvariantCulture))
            .Select(fields => fields[1].Trim())
            .FirstOrDefault();
        return newest is not null && !string.Equals(newest, runningRelease, StringComparison.Ordinal);
    }

    private static int Rank(string? severity) => severity switch
    {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        _ => 4,
    };
}
