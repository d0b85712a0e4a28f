using System.Text.RegularExpressions;
using PatchPortal.Agent.Contracts;
using PatchPortal.Portal.Agents;
using PatchPortal.Portal.Data.Entities;

namespace PatchPortal.Portal.Plans;

/// <summary>
/// Turns a plan's "what" into the <see cref="PatchSelection"/> for one host. The agent knows exact names only: an
/// empty package list means "everything" to it, a named package without a pending update is an error, and
/// exclusions are exact names. So globs are expanded against the host's pending updates, named packages are cut to
/// those pending there, and a host where nothing is selected is not asked at all. The dry run and the run engine
/// share this, so what approvers saw is what runs.
/// </summary>
public static class PlanPackageSelection
{
    /// <summary>Whether the host's pending updates must be listed first (named packages, or glob exclusions).</summary>
    public static bool NeedsPendingList(PlanPackageScope scope, IReadOnlyList<string> exclusions)
    {
        ArgumentNullException.ThrowIfNull(exclusions);
        return scope == PlanPackageScope.NamedPackages || exclusions.Any(PlanInputRules.IsGlob);
    }

    /// <summary>The plan's selection on one host, or null when nothing it names is pending there (do not call the agent).</summary>
    /// <param name="pending">The names of the host's pending updates; required when <see cref="NeedsPendingList"/> says so.</param>
    public static PatchSelection? ForHost(PlanPackageScope scope, IReadOnlyList<string> packages, IReadOnlyList<string> exclusions, IReadOnlyCollection<string>? pending)
    {
        ArgumentNullException.ThrowIfNull(packages);
        ArgumentNullException.ThrowIfNull(exclusions);
        if (NeedsPendingList(scope, exclusions) && pending is null)
        {
            throw new ArgumentException("The host's pending updates are needed for named packages or glob exclusions.", nameof(pending));
        }

        var excluded = Expand(exclusions, pending ?? []);
        if (scope != PlanPackageScope.NamedPackages)
        {
            return new PatchSelection([], scope == PlanPackageScope.SecurityOnly, excluded);
        }

        var wanted = pending!.Where(name => packages.Any(p => Matches(p, name)) && !excluded.Contains(name, StringComparer.Ordinal))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return wanted.Count == 0 ? null : new PatchSelection(wanted, false, excluded);
    }

    /// <summary>The pending package names a patch list names.</summary>
    public static IReadOnlyCollection<string> PendingNames(IEnumerable<PatchDto> patches) =>
        patches.SelectMany(p => p.AffectedPackages.Count > 0 ? p.AffectedPackages : [p.Name])
            .Where(n => !string.IsNullOrWhiteSpace(n)).ToHashSet(StringComparer.Ordinal);

    private static List<string> Expand(IReadOnlyList<string> exclusions, IReadOnlyCollection<string> pending)
    {
        var names = exclusions.Where(e => !PlanInputRules.IsGlob(e)).ToList();
        var globs = exclusions.Where(PlanInputRules.IsGlob).Select(Glob).ToList();
        names.AddRange(pending.Where(name => globs.Exists(g => g.IsMatch(name))));
        return names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    // "openssl" names the package whatever its architecture; "libc6:amd64" only that one.
    private static bool Matches(string named, string pending) =>
        string.Equals(named, pending, StringComparison.Ordinal)
        || (!named.Contains(':', StringComparison.Ordinal) && pending.StartsWith(named + ":", StringComparison.Ordinal));

    private static Regex Glob(string glob) =>
        new("^" + string.Join(".*", glob.Split('*').Select(Regex.Escape)) + "$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
}
