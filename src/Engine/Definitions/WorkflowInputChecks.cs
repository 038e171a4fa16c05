using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Expressions;

namespace Elsa.Migration.Engine.Definitions;

/// <summary>
/// Checks the inputs given to a new instance against the definition's declared <c>inputs</c> before anything starts:
/// every value must convert to its declared type (an Int64 input refuses <c>abc</c> and <c>1;touch x</c>), required
/// inputs without a default must be given, and two names that differ only in case are refused (JSON clients send
/// <c>vmId</c> for <c>VmId</c>; the host matches the VM input case-insensitively, so both would be ambiguous).
/// </summary>
public static class WorkflowInputChecks
{
    private static readonly Dictionary<string, Type> ScalarTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Int32"] = typeof(int),
        ["Int64"] = typeof(long),
        ["Boolean"] = typeof(bool),
        ["Double"] = typeof(double),
        ["Decimal"] = typeof(decimal),
        ["TimeSpan"] = typeof(TimeSpan),
        ["DateTimeOffset"] = typeof(DateTimeOffset),
        ["DateTime"] = typeof(DateTime),
        ["Guid"] = typeof(Guid),
    };

    /// <summary>Every problem of <paramref name="given"/> for <paramref name="definition"/>, each naming the input; empty when they are fine.</summary>
    public static IReadOnlyList<string> Check(WorkflowDefinition definition, IReadOnlyDictionary<string, JsonNode?> given)
    {
        var problems = new List<string>();
        foreach (var group in given.Keys.GroupBy(k => k, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            problems.Add($"The inputs {string.Join(" and ", group.Select(k => $"'{k}'"))} differ only in case; give each input once.");
        foreach (var input in definition.Inputs)
        {
            var value = given.GetValueOrDefault(input.Name);
            if (IsMissing(value))
            {
                if (input.IsRequired && input.DefaultValue is null)
                    problems.Add($"The input '{input.Name}' ({input.TypeName}) is required: pass it (e.g. --input {input.Name}=VALUE).");
                continue;
            }
            if (!ScalarTypes.TryGetValue(input.TypeName, out var type))
                continue; // String, Object, enums and lists: the activity reading it converts and reports.
            try
            {
                ValueConverter.Convert(value, type);
            }
            catch (FormatException e)
            {
                problems.Add($"The input '{input.Name}' must be {input.TypeName}: {e.Message}");
            }
        }
        return problems;
    }

    private static bool IsMissing(JsonNode? value) =>
        value is null || (value is JsonValue v && v.TryGetValue<string>(out var s) && string.IsNullOrWhiteSpace(s));
}
