using System.Net;
using System.Text.RegularExpressions;

namespace PatchPortal.Portal.Hosts;

/// <summary>What the add and edit dialogs collect about a host.</summary>
public sealed record HostInput(string Name, string Address, int AgentPort, IReadOnlyCollection<Guid> GroupIds, IReadOnlyCollection<string> Tags);

/// <summary>
/// The rules for a host's fields, used by <see cref="HostCatalog"/> (authoritative) and by the dialogs (to show
/// the message next to the field before anything is sent).
/// </summary>
public static partial class HostInputRules
{
    public const int MaxNameLength = 253;
    public const int MaxTagLength = 64;
    public const int MinPort = 1;
    public const int MaxPort = 65535;

    /// <summary>The port the agent listens on unless configured otherwise.</summary>
    public const int DefaultAgentPort = 12443;

    public static string? ValidateName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "Enter a name.";
        }

        name = name.Trim();
        if (name.Length > MaxNameLength)
        {
            return $"A name has at most {MaxNameLength} characters.";
        }

        return NamePattern().IsMatch(name) ? null : "Use only letters, digits, dots, hyphens and underscores.";
    }

    /// <summary>An IPv4 or IPv6 address, or a DNS name (labels of letters, digits and hyphens, up to 63 each).</summary>
    public static string? ValidateAddress(string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            return "Enter an IP address or DNS name.";
        }

        address = address.Trim();
        if (address.Length > MaxNameLength)
        {
            return $"An address has at most {MaxNameLength} characters.";
        }

        if (IPAddress.TryParse(address, out _) && (address.Contains(':', StringComparison.Ordinal) || FourOctets().IsMatch(address)))
        {
            return null;
        }

        // Something that only looks numeric ("10.0.0", "999.1.1.1") is a mistyped IP, not a DNS name.
        if (LooksNumeric().IsMatch(address))
        {
            return "This is not a valid IP address.";
        }

        return DnsName().IsMatch(address) ? null : "Enter a valid IP address or DNS name.";
    }

    public static string? ValidatePort(int port) =>
        port is >= MinPort and <= MaxPort ? null : $"The port is between {MinPort} and {MaxPort}.";

    public static string? ValidateTag(string? tag)
    {
        if (string.IsNullOrWhiteSpace(tag))
        {
            return "A tag cannot be empty.";
        }

        tag = tag.Trim();
        if (tag.Length > MaxTagLength)
        {
            return $"A tag has at most {MaxTagLength} characters: '{tag[..20]}…' is longer.";
        }

        return TagPattern().IsMatch(tag) ? null : $"Tag '{tag}': use letters, digits and . - _ : / = (no spaces).";
    }

    /// <summary>Tags are labels, compared without case: stored trimmed and lower-cased.</summary>
    public static string NormalizeTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        return tag.Trim().ToLowerInvariant();
    }

    /// <summary>Every field's error, keyed by field name (Name, Address, AgentPort, Tags); empty when valid.</summary>
    public static IReadOnlyDictionary<string, string> Validate(HostInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        Add(errors, nameof(HostInput.Name), ValidateName(input.Name));
        Add(errors, nameof(HostInput.Address), ValidateAddress(input.Address));
        Add(errors, nameof(HostInput.AgentPort), ValidatePort(input.AgentPort));
        Add(errors, nameof(HostInput.Tags), (input.Tags ?? []).Select(ValidateTag).FirstOrDefault(e => e is not null));
        return errors;
    }

    private static void Add(Dictionary<string, string> errors, string field, string? error)
    {
        if (error is not null)
        {
            errors[field] = error;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:/=-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^\d{1,3}(\.\d{1,3}){3}$", RegexOptions.CultureInvariant)]
    private static partial Regex FourOctets();

    [GeneratedRegex(@"^[\d.]+$", RegexOptions.CultureInvariant)]
    private static partial Regex LooksNumeric();

    [GeneratedRegex(@"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsName();
}
