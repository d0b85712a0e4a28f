using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace PatchPortal.Agent.Packages;

/// <summary>The contract's input rules for package names and versions: nothing else reaches a package manager.</summary>
public static partial class PackageNames
{
    public const int MaxLength = 128;

    /// <summary>Debian/RPM name characters, an optional <c>:arch</c>, never a leading <c>-</c>.</summary>
    public static bool IsValidName([NotNullWhen(true)] string? name) =>
        name is { Length: > 0 and <= MaxLength } && NameRegex().IsMatch(name);

    public static bool IsValidVersion([NotNullWhen(true)] string? version) =>
        version is { Length: > 0 and <= MaxLength } && version[0] != '-' && VersionRegex().IsMatch(version);

    /// <summary>A name glob for list filters: name characters and <c>*</c>.</summary>
    public static bool IsValidGlob([NotNullWhen(true)] string? glob) =>
        glob is { Length: > 0 and <= MaxLength } && GlobRegex().IsMatch(glob);

    /// <summary>Turns a validated glob into an anchored, case-insensitive matcher.</summary>
    public static Func<string, bool> GlobMatcher(string glob)
    {
        if (!glob.Contains('*', StringComparison.Ordinal))
        {
            return name => string.Equals(name, glob, StringComparison.OrdinalIgnoreCase);
        }

        var pattern = "^" + string.Join(".*", glob.Split('*').Select(Regex.Escape)) + "$";
        var regex = new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        return regex.IsMatch;
    }

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9+._-]*(:[a-z0-9][a-z0-9_-]*)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();

    [GeneratedRegex(@"\A[A-Za-z0-9.+~:_-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex VersionRegex();

    [GeneratedRegex(@"\A[a-z0-9+._*:-]+\z", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex GlobRegex();
}
