using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace PatchPortal.Agent.Security;

/// <summary>An IPv4 or IPv6 network in CIDR notation; a bare address means that one address.</summary>
public sealed class CidrRange
{
    private readonly byte[] _network;

    private CidrRange(byte[] network, int prefixLength, AddressFamily family)
    {
        _network = network;
        PrefixLength = prefixLength;
        Family = family;
    }

    public int PrefixLength { get; }

    public AddressFamily Family { get; }

    public static bool TryParse(string? text, [NotNullWhen(true)] out CidrRange? range)
    {
        range = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address))
        {
            return false;
        }

        var bytes = address.GetAddressBytes();
        var maxPrefix = bytes.Length * 8;
        var prefix = maxPrefix;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefix) || prefix > maxPrefix))
        {
            return false;
        }

        Mask(bytes, prefix);
        range = new CidrRange(bytes, prefix, address.AddressFamily);
        return true;
    }

    /// <summary>Whether <paramref name="address"/> is inside the range; IPv4-mapped IPv6 addresses count as IPv4.</summary>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6 && Family == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != Family)
        {
            return false;
        }

        var bytes = address.GetAddressBytes();
        Mask(bytes, PrefixLength);
        return bytes.AsSpan().SequenceEqual(_network);
    }

    public override string ToString() => $"{new IPAddress(_network)}/{PrefixLength}";

    private static void Mask(byte[] bytes, int prefix)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }
    }
}

/// <summary>The source-address allow-list (<c>Agent:AllowedNetworks</c>).</summary>
public sealed class NetworkAllowList(IReadOnlyList<CidrRange> ranges)
{
    public IReadOnlyList<CidrRange> Ranges { get; } = ranges;

    public bool IsAllowed(IPAddress? address) => address is not null && Ranges.Any(r => r.Contains(address));
}
