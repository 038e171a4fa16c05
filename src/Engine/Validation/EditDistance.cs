namespace Elsa.Migration.Engine.Validation;

/// <summary>Levenshtein distance, case-insensitive, for "did you mean" suggestions.</summary>
public static class EditDistance
{
    /// <summary>The number of single-character edits between <paramref name="a"/> and <paramref name="b"/>.</summary>
    public static int Between(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>Up to <paramref name="count"/> candidates closest to <paramref name="name"/> (comparing full names and the part after the last dot).</summary>
    public static IReadOnlyList<string> Closest(string name, IEnumerable<string> candidates, int count = 3)
    {
        var shortName = name[(name.LastIndexOf('.') + 1)..];
        return [.. candidates
            .Select(c => (Candidate: c, Distance: Math.Min(Between(name, c), Between(shortName, c[(c.LastIndexOf('.') + 1)..]) + 1)))
            .Where(x => x.Distance <= Math.Max(2, shortName.Length / 3))
            .OrderBy(x => x.Distance).ThenBy(x => x.Candidate, StringComparer.Ordinal)
            .Take(count)
            .Select(x => x.Candidate)];
    }
}
