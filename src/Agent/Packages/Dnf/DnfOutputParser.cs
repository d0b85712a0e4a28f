using System.Globalization;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Machine;

namespace PatchPortal.Agent.Packages.Dnf;

/// <summary>One row of <c>dnf check-update</c>.</summary>
public sealed record DnfUpdateRow(string Name, string Architecture, string Version, string Repository);

/// <summary>One row of <c>dnf updateinfo list --security</c>.</summary>
public sealed record DnfAdvisoryRow(string AdvisoryId, string? Severity, string Name, string Version, string Architecture);

/// <summary>One row of dnf's transaction table, with the section it was listed under (<c>Upgrading</c>, <c>Removing</c>...).</summary>
public sealed record DnfTransactionRow(string Section, string Name, string Architecture, string Version, string Repository);

/// <summary>Pure parsers for rpm and dnf output (no I/O, so they are tested on captured text).</summary>
public static class DnfOutputParser
{
    private static readonly char[] Blanks = [' ', '\t'];

    public static IReadOnlyList<InstalledPackage> ParseInstalled(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var packages = new List<InstalledPackage>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\t', 9);
            // gpg-pubkey entries are keys rpm stores as pseudo-packages, not software.
            if (fields.Length < 9 || fields[0] == "gpg-pubkey")
            {
                continue;
            }

            packages.Add(new InstalledPackage
            {
                Name = fields[0],
                Version = fields[1],
                Architecture = fields[2],
                SizeBytes = long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null,
                InstalledAt = long.TryParse(fields[4], NumberStyles.None, CultureInfo.InvariantCulture, out var epoch) ? DateTimeOffset.FromUnixTimeSeconds(epoch) : null,
                Maintainer = Known(fields[5]) ?? Known(fields[6]),
                Dependencies = fields[7].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Where(name => !name.StartsWith("rpmlib(", StringComparison.Ordinal) && !name.StartsWith('/') && !name.Contains('(', StringComparison.Ordinal))
                    .Distinct(StringComparer.Ordinal).ToList(),
                Description = Known(fields[8].TrimEnd('\r')),
            });
        }

        return packages;
    }

    /// <summary>The <c>Key : value</c> pairs of <c>rpm -qi</c> (the multi-line Description is left out).</summary>
    public static IReadOnlyDictionary<string, string> ParseInfo(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("Description", StringComparison.Ordinal))
            {
                break;
            }

            var colon = line.IndexOf(" :", StringComparison.Ordinal);
            if (colon > 0)
            {
                fields.TryAdd(line[..colon].Trim(), line[(colon + 2)..].Trim());
            }
        }

        return fields;
    }

    /// <summary>Parses <c>dnf check-update</c> (exit 100), including rows dnf wraps when a name is long.</summary>
    public static IReadOnlyList<DnfUpdateRow> ParseCheckUpdate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rows = new List<DnfUpdateRow>();
        var pending = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("Obsoleting Packages", StringComparison.Ordinal) || line.StartsWith("Security:", StringComparison.Ordinal))
            {
                break;
            }

            if (line.StartsWith("Last metadata expiration", StringComparison.Ordinal))
            {
                continue;
            }

            pending.AddRange(line.Split(Blanks, StringSplitOptions.RemoveEmptyEntries));
            if (pending.Count >= 3)
            {
                var (name, arch) = SplitArch(pending[0]);
                rows.Add(new DnfUpdateRow(name, arch, pending[1], pending[2]));
                pending.Clear();
            }
        }

        return rows;
    }

    /// <summary>Parses dnf4's <c>ID Severity/Sec. NEVRA</c> rows and dnf5's <c>ID Type Severity NEVRA Issued</c> table.</summary>
    public static IReadOnlyList<DnfAdvisoryRow> ParseSecurityAdvisories(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rows = new List<DnfAdvisoryRow>();
        foreach (var line in text.Split('\n'))
        {
            var tokens = line.Split(Blanks, StringSplitOptions.RemoveEmptyEntries);
            string? severity;
            string nevra;
            if (tokens.Length == 3 && tokens[1].EndsWith("/Sec.", StringComparison.Ordinal))
            {
                severity = tokens[1][..^"/Sec.".Length];
                nevra = tokens[2];
            }
            else if (tokens.Length >= 4 && tokens[1] == "security")
            {
                severity = tokens[2];
                nevra = tokens[3];
            }
            else
            {
                continue;
            }

            if (ParseNevra(nevra) is { } parsed)
            {
                rows.Add(new DnfAdvisoryRow(tokens[0], NormalizeSeverity(severity), parsed.Name, parsed.Version, parsed.Architecture));
            }
        }

        return rows;
    }

    /// <summary>Parses the transaction table dnf prints before asking (and, with --assumeno, aborting).</summary>
    public static IReadOnlyList<DnfTransactionRow> ParseTransaction(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rows = new List<DnfTransactionRow>();
        string? section = null;
        var pending = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("Transaction Summary", StringComparison.Ordinal))
            {
                break;
            }

            if (line.Length > 0 && line[0] != ' ' && line.EndsWith(':'))
            {
                section = line.TrimEnd(':').Trim();
                pending.Clear();
                continue;
            }

            if (section is null || line.Length == 0 || line[0] != ' ')
            {
                continue;
            }

            pending.AddRange(line.Split(Blanks, StringSplitOptions.RemoveEmptyEntries));
            if (pending.Count >= 4)
            {
                rows.Add(new DnfTransactionRow(section, pending[0], pending[1], pending[2], pending[3]));
                pending.Clear();
            }
        }

        return rows;
    }

    /// <summary>Turns transaction rows into planned changes, taking "from" versions from the installed set.</summary>
    public static PackagePlan ToPlan(IEnumerable<DnfTransactionRow> rows, IReadOnlyDictionary<string, string> installed)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(installed);
        var changes = rows.Select(row => row.Section.StartsWith("Removing", StringComparison.Ordinal)
                ? new PlannedPackageChange(row.Name, row.Version, null)
                : new PlannedPackageChange(row.Name, installed.GetValueOrDefault(row.Name), row.Version))
            .Where(change => change.From != change.To)
            .ToList();
        return new PackagePlan(changes, changes.Any(change => RebootHeuristic.IsRebootPackageRpm(change.Package)));
    }

    /// <summary>Splits <c>name-[epoch:]version-release.arch</c>; null when it is not one.</summary>
    public static (string Name, string Version, string Architecture)? ParseNevra(string nevra)
    {
        ArgumentNullException.ThrowIfNull(nevra);
        var dot = nevra.LastIndexOf('.');
        var releaseDash = dot < 0 ? -1 : nevra.LastIndexOf('-', dot);
        var versionDash = releaseDash <= 0 ? -1 : nevra.LastIndexOf('-', releaseDash - 1);
        if (versionDash <= 0)
        {
            return null;
        }

        return (nevra[..versionDash], nevra[(versionDash + 1)..dot], nevra[(dot + 1)..]);
    }

    /// <summary>Red Hat's severity words mapped to the API's critical/high/medium/low.</summary>
    public static string? NormalizeSeverity(string? severity) => severity?.ToUpperInvariant() switch
    {
        "CRITICAL" => "critical",
        "IMPORTANT" or "HIGH" => "high",
        "MODERATE" or "MEDIUM" => "medium",
        "LOW" => "low",
        _ => null,
    };

    public static (string Code, string Message) ClassifyFailure(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.NotFound)
        {
            return (JobErrorCodes.CommandNotFound, result.Stderr.Trim());
        }

        if (result.TimedOut)
        {
            return (JobErrorCodes.Timeout, "dnf did not finish within its timeout and was stopped");
        }

        var text = result.Stderr + "\n" + result.Stdout;
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var message = lines.FirstOrDefault(line => line.StartsWith("Error", StringComparison.Ordinal) || line.StartsWith("No match", StringComparison.Ordinal))
            ?? lines.LastOrDefault() ?? "dnf failed without output";
        var code = text switch
        {
            _ when Has(text, "No match for argument") || Has(text, "Unable to find a match") || Has(text, "No package") => JobErrorCodes.PackageNotFound,
            _ when Has(text, "GPG check FAILED") || Has(text, "Public key for") || Has(text, "NOKEY") => JobErrorCodes.GpgError,
            _ when Has(text, "Curl error") || Has(text, "Cannot download") || Has(text, "Failed to download metadata") || Has(text, "Could not resolve host") => JobErrorCodes.NetworkError,
            _ when Has(text, "conflicting requests") || Has(text, "nothing provides") || Has(text, "Problem:") => JobErrorCodes.DependencyConflict,
            _ when Has(text, "superuser privileges") || Has(text, "Permission denied") => JobErrorCodes.PermissionDenied,
            _ => JobErrorCodes.PackageManagerError, // includes exit 200: the rpm/dnf lock is held
        };
        return (code, message);
    }

    private static (string Name, string Architecture) SplitArch(string nameArch)
    {
        var dot = nameArch.LastIndexOf('.');
        return dot <= 0 ? (nameArch, string.Empty) : (nameArch[..dot], nameArch[(dot + 1)..]);
    }

    private static bool Has(string text, string fragment) => text.Contains(fragment, StringComparison.OrdinalIgnoreCase);

    private static string? Known(string value) => string.IsNullOrWhiteSpace(value) || value == "(none)" ? null : value.Trim();
}
