using System.Globalization;
using System.Text.RegularExpressions;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Machine;

namespace PatchPortal.Agent.Packages.Apt;

/// <summary>One line of <c>apt-get -s</c> output: <c>Inst</c> (install/upgrade/downgrade) or <c>Remv</c>/<c>Purg</c>.</summary>
public sealed record AptSimulatedChange(bool Removes, string Name, string? CurrentVersion, string? CandidateVersion, IReadOnlyList<string> Origins, string? Architecture);

/// <summary>One row of <see cref="AptCommands.ListFormat"/>; <see cref="InfoName"/> names the files under /var/lib/dpkg/info.</summary>
public sealed record DpkgEntry(InstalledPackage Package, string InfoName);

/// <summary>Pure parsers for dpkg-query and apt-get output (no I/O, so they are tested on captured text).</summary>
public static partial class AptOutputParser
{
    private static readonly char[] LineBreaks = ['\n', '\r'];

    /// <summary>Parses <see cref="AptCommands.ListFormat"/> rows; packages that are not (even partly) installed are skipped.</summary>
    /// <param name="nativeArchitecture">dpkg's native architecture: packages of other architectures keep a <c>:arch</c> suffix.</param>
    public static IReadOnlyList<DpkgEntry> ParseInstalled(string text, string nativeArchitecture)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<DpkgEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\t', 10);
            if (fields.Length < 10 || StatusWord(fields[3]) is not { } status)
            {
                continue;
            }

            var (name, version, architecture) = (fields[0], fields[1], fields[2]);
            var package = new InstalledPackage
            {
                Name = DisplayName(name, architecture, nativeArchitecture),
                Version = version,
                Architecture = architecture,
                Status = status,
                SizeBytes = long.TryParse(fields[4], NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib * 1024 : null,
                Maintainer = NullIfEmpty(fields[5]),
                Dependencies = DependencyNames(fields[7] + ", " + fields[6]),
                Description = NullIfEmpty(fields[9].TrimEnd('\r')),
            };
            entries.Add(new DpkgEntry(package, fields[8]));
        }

        return entries;
    }

    /// <summary>Parses <see cref="AptCommands.VersionFormat"/> rows into installed versions keyed by the requested names.</summary>
    public static IReadOnlyDictionary<string, string?> ParseInstalledVersions(string text, IReadOnlyCollection<string> requested, string nativeArchitecture)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(requested);
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\t');
            if (fields.Length < 4 || StatusWord(fields[2]) is null)
            {
                continue;
            }

            found.TryAdd(fields[0] + ":" + fields[1], fields[3]);
            // A bare name means the native (or arch-independent) package, as apt itself reads it.
            if (fields[1] == nativeArchitecture || fields[1] == "all")
            {
                found[fields[0]] = fields[3];
            }
        }

        return requested.Distinct(StringComparer.Ordinal)
            .ToDictionary(name => name, name => found.TryGetValue(name, out var version) ? version : null, StringComparer.Ordinal);
    }

    /// <summary>Parses the <c>Inst</c>, <c>Remv</c> and <c>Purg</c> lines of <c>apt-get -s</c>; <c>Conf</c> lines repeat <c>Inst</c>.</summary>
    public static IReadOnlyList<AptSimulatedChange> ParseSimulation(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var changes = new List<AptSimulatedChange>();
        foreach (var line in text.Split(LineBreaks, StringSplitOptions.RemoveEmptyEntries))
        {
            if (InstRegex().Match(line) is { Success: true } inst)
            {
                var origins = inst.Groups["origins"].Value
                    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                changes.Add(new AptSimulatedChange(false, inst.Groups["name"].Value, GroupOrNull(inst, "current"),
                    inst.Groups["candidate"].Value, origins, inst.Groups["arch"].Value));
            }
            else if (RemvRegex().Match(line) is { Success: true } remv)
            {
                changes.Add(new AptSimulatedChange(true, remv.Groups["name"].Value, GroupOrNull(remv, "current"), null, [], null));
            }
        }

        return changes;
    }

    /// <summary>The upgrades and new installs of a simulated dist-upgrade, as pending updates.</summary>
    public static IReadOnlyList<AvailableUpdate> ToUpdates(IEnumerable<AptSimulatedChange> changes) =>
        changes.Where(change => !change.Removes && change.CandidateVersion is not null)
            .Select(change =>
            {
                var security = change.Origins.FirstOrDefault(IsSecurityOrigin);
                return new AvailableUpdate
                {
                    Name = change.Name,
                    CurrentVersion = change.CurrentVersion,
                    CandidateVersion = change.CandidateVersion!,
                    Architecture = change.Architecture,
                    Source = security ?? (change.Origins.Count > 0 ? change.Origins[0] : null),
                    IsSecurity = security is not null,
                    RequiresReboot = RebootHeuristic.IsRebootPackageDebian(change.Name),
                };
            })
            .ToList();

    public static PackagePlan ToPlan(IReadOnlyList<AptSimulatedChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var planned = changes.Select(change => new PlannedPackageChange(change.Name, change.CurrentVersion, change.Removes ? null : change.CandidateVersion)).ToList();
        return new PackagePlan(planned, planned.Any(change => RebootHeuristic.IsRebootPackageDebian(change.Package)));
    }

    /// <summary>An origin such as <c>Debian-Security:12/bookworm-security</c> or <c>Ubuntu:22.04/jammy-security</c>.</summary>
    public static bool IsSecurityOrigin(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        var slash = origin.LastIndexOf('/');
        var suite = slash < 0 ? origin : origin[(slash + 1)..];
        return suite.EndsWith("-security", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Parses <c>apt-cache madison</c>: which (name, version) pairs the lists offer.</summary>
    public static ILookup<string, string> ParseMadison(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('|', StringSplitOptions.TrimEntries))
            .Where(fields => fields.Length >= 3 && fields[0].Length > 0)
            .ToLookup(fields => fields[0], fields => fields[1], StringComparer.Ordinal);
    }

    /// <summary>Reads one <c>APT::Status-Fd</c> line (<c>dlstatus:</c>/<c>pmstatus:</c>) as overall progress; null for other lines.</summary>
    /// <remarks>Downloads count for the first 30 %, dpkg's work for the rest: unpacking and configuring take longest.</remarks>
    public static (int Percent, string Message)? ParseStatusLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var download = line.StartsWith("dlstatus:", StringComparison.Ordinal);
        if (!download && !line.StartsWith("pmstatus:", StringComparison.Ordinal))
        {
            return null;
        }

        var fields = line.Split(':', 4);
        if (fields.Length < 4 || !double.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent))
        {
            return null;
        }

        var overall = download ? percent * 0.3 : 30 + (percent * 0.7);
        return ((int)Math.Clamp(overall, 0, 100), fields[3]);
    }

    /// <summary>Maps a failed apt-get run to a job error code and the line that explains it.</summary>
    public static (string Code, string Message) ClassifyFailure(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.NotFound)
        {
            return (JobErrorCodes.CommandNotFound, result.Stderr.Trim());
        }

        if (result.TimedOut)
        {
            return (JobErrorCodes.Timeout, "apt-get did not finish within its timeout and was stopped");
        }

        var text = result.Stderr + "\n" + result.Stdout;
        var message = FirstErrorLine(text);
        var code = text switch
        {
            _ when Has(text, "Unable to locate package") || Has(text, "has no installation candidate") || VersionNotFoundRegex().IsMatch(text) => JobErrorCodes.PackageNotFound,
            _ when Has(text, "NO_PUBKEY") || Has(text, "GPG error") || Has(text, "signatures couldn't be verified") || Has(text, "is not signed") => JobErrorCodes.GpgError,
            _ when Has(text, "Temporary failure resolving") || Has(text, "Failed to fetch") || Has(text, "Could not resolve") || Has(text, "Could not connect") => JobErrorCodes.NetworkError,
            _ when Has(text, "unmet dependencies") || Has(text, "held broken packages") || Has(text, "Unable to correct problems") => JobErrorCodes.DependencyConflict,
            _ when Has(text, "Could not get lock") || Has(text, "Unable to acquire the dpkg frontend lock") => JobErrorCodes.PackageManagerError,
            _ when Has(text, "Permission denied") || Has(text, "are you root?") => JobErrorCodes.PermissionDenied,
            _ => JobErrorCodes.PackageManagerError,
        };
        return (code, message);
    }

    /// <summary>Names of the packages a Depends/Pre-Depends field mentions (alternatives included, versions and arch qualifiers dropped).</summary>
    public static IReadOnlyList<string> DependencyNames(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Split([',', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(relation =>
            {
                var end = relation.IndexOfAny([' ', '(', ':', '[', '<']);
                return end < 0 ? relation : relation[..end];
            })
            .Where(name => name.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The first <c>License:</c> value of a machine-readable (DEP-5) copyright file, else null.</summary>
    public static string? ParseLicense(IEnumerable<string> copyrightLines)
    {
        ArgumentNullException.ThrowIfNull(copyrightLines);
        return copyrightLines
            .Where(line => line.StartsWith("License:", StringComparison.Ordinal))
            .Select(line => NullIfEmpty(line["License:".Length..].Trim()))
            .FirstOrDefault(value => value is not null);
    }

    /// <summary>dpkg's status word for the middle letter of <c>db:Status-Abbrev</c>; null when not installed at all.</summary>
    private static string? StatusWord(string abbrev) => abbrev.Length < 2 ? null : abbrev[1] switch
    {
        'i' => "installed",
        'U' => "unpacked",
        'F' => "half-configured",
        'H' => "half-installed",
        'W' => "triggers-awaited",
        't' => "triggers-pending",
        _ => null, // 'n' not-installed, 'c' config-files: nothing of the package is installed.
    };

    private static string DisplayName(string name, string architecture, string native) =>
        architecture == native || architecture == "all" ? name : name + ":" + architecture;

    private static string FirstErrorLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.FirstOrDefault(line => line.StartsWith("E: ", StringComparison.Ordinal))
            ?? lines.LastOrDefault()
            ?? "apt-get failed without output";
    }

    private static bool Has(string text, string fragment) => text.Contains(fragment, StringComparison.OrdinalIgnoreCase);

    private static string? GroupOrNull(Match match, string group) =>
        match.Groups[group] is { Success: true, Value.Length: > 0 } value ? value.Value : null;

    private static string? NullIfEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;

    // Inst name [current] (candidate origin, origin [arch]) [broken...]; current is absent for new packages.
    [GeneratedRegex(@"^Inst (?<name>\S+)(?: \[(?<current>[^\]]*)\])? \((?<candidate>\S+)(?: (?<origins>[^\[]*?))? \[(?<arch>[^\]]+)\]\)", RegexOptions.CultureInvariant)]
    private static partial Regex InstRegex();

    [GeneratedRegex(@"^(?:Remv|Purg) (?<name>\S+)(?: \[(?<current>[^\]]*)\])?", RegexOptions.CultureInvariant)]
    private static partial Regex RemvRegex();

    [GeneratedRegex(@"Version '[^']*' for '[^']*' was not found", RegexOptions.CultureInvariant)]
    private static partial Regex VersionNotFoundRegex();
}
