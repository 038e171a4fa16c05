using System.Globalization;

namespace Elsa.Migration.Host.Auth;

/// <summary>Parses token lifetimes as operators write them: <c>90d</c>, <c>12h</c>, <c>30m</c>, <c>45s</c>, or a TimeSpan (<c>1.00:00:00</c>).</summary>
public static class TokenLifetime
{
    public static bool TryParse(string text, out TimeSpan lifetime)
    {
        lifetime = default;
        text = text.Trim();
        if (text.Length >= 2 && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 36_500 * 24 * 3600L)
        {
            lifetime = char.ToLowerInvariant(text[^1]) switch
            {
                'd' => TimeSpan.FromDays(n),
                'h' => TimeSpan.FromHours(n),
                'm' => TimeSpan.FromMinutes(n),
                's' => TimeSpan.FromSeconds(n),
                _ => default,
            };
            return lifetime > TimeSpan.Zero && lifetime <= TimeSpan.FromDays(36_500);
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out lifetime) && lifetime > TimeSpan.Zero;
    }
}
