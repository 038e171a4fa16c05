using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Elsa.Migration.Activities.Nodes;

/// <summary>
/// Strict rules for an address that QEMU listens on or connects to (<c>tcp:HOST:PORT</c>, NBD <c>inet</c>):
/// a dotted IPv4 address, a plain IPv6 address (no brackets, no zone), or a DNS host name (RFC 1123 labels).
/// Anything else is rejected, so no ',', ':', '/', '@', whitespace, quotes or leading '-' reaches a QEMU option or URI.
/// </summary>
public static partial class NetworkAddress
{
    /// <summary>Why <paramref name="value"/> is not a usable address, or null when it is.</summary>
    public static string? Problem(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "is empty";
        if (value.Length > 253) return "is longer than 253 characters";
        if (Ipv4ShapeRegex().IsMatch(value))
        {
            // All digits and dots: must be a real dotted quad (no "10.0.0.256", no "010.1.1.1" octal ambiguity).
            if (!Ipv4Regex().IsMatch(value) || !IPAddress.TryParse(value, out var v4)) return "is not a valid IPv4 address";
            return IPAddress.Any.Equals(v4) || IPAddress.Broadcast.Equals(v4) ? "is not a unicast address the source node can connect to" : null;
        }
        if (value.Contains(':'))
        {
            if (!Ipv6Regex().IsMatch(value) || !IPAddress.TryParse(value, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                return "is not a valid IPv6 address (write it without brackets or zone, e.g. 2001:db8::2)";
            return IPAddress.IPv6Any.Equals(v6) || v6.IsIPv6Multicast ? "is not a unicast address the source node can connect to" : null;
        }
        // A last label of digits only would read as a (malformed) IP address to resolvers.
        if (!HostNameRegex().IsMatch(value) || value[(value.LastIndexOf('.') + 1)..].All(char.IsAsciiDigit))
            return "is not a valid host name (letters, digits, '-' in dot-separated labels of at most 63 characters)";
        return null;
    }

    /// <summary>True when <see cref="Problem"/> finds nothing.</summary>
    public static bool IsValid(string? value) => Problem(value) is null;

    /// <summary>True for an IPv6 literal (needs brackets in a <c>tcp:</c> URI).</summary>
    public static bool IsIPv6(string value) => value.Contains(':');

    /// <summary>The host part of a URI: IPv6 literals in brackets.</summary>
    public static string ForUri(string value) => IsIPv6(value) ? $"[{value}]" : value;

    [GeneratedRegex(@"^[0-9.]+\z")] private static partial Regex Ipv4ShapeRegex();
    [GeneratedRegex(@"^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}\z")] private static partial Regex Ipv4Regex();
    [GeneratedRegex(@"^[0-9A-Fa-f:.]{2,45}\z")] private static partial Regex Ipv6Regex();
    // RFC 1123 labels: a letter or digit at both ends, '-' only inside.
    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\z")]
    private static partial Regex HostNameRegex();
}
