using System.Text.RegularExpressions;

namespace Elsa.Migration.Engine.Definitions;

/// <summary>
/// The one rule for workflow definition ids, Elsa's: ASCII letters, digits, <c>-</c> and <c>_</c>, 1 to 100 characters.
/// Ids end up in URLs, Location headers, file names of exports and terminal output, so nothing else is accepted
/// anywhere (API, Studio facade, import, CLI).
/// </summary>
public static partial class DefinitionIds
{
    public const int MaxLength = 100;

    /// <summary>The rule in words, for error messages and documentation.</summary>
    public const string Rule = "ASCII letters, digits, '-' and '_', 1 to 100 characters";

    /// <summary>True when <paramref name="id"/> follows the rule.</summary>
    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    /// <summary>A message naming the id (shortened) and the rule.</summary>
    public static string Problem(string? id) =>
        $"The definition id {(string.IsNullOrEmpty(id) ? "is missing" : $"'{(id.Length <= 40 ? id : id[..40] + "...")}' is not valid")}: use {Rule}.";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,100}$")]
    private static partial Regex Pattern();
}
