using System.Collections;
using System.Text.Json.Nodes;

namespace Elsa.Migration.Engine.Runtime.Inline;

/// <summary>
/// Variables of a loop iteration: its own locals (e.g. the variable bound to ParallelForEach's CurrentValue) over the
/// enclosing variables. Reads and writes of a local stay in the iteration; every other name goes to the enclosing
/// variables, so iterations share the workflow's variables like in Elsa but not their current value.
/// </summary>
internal sealed class LayeredVariables(Dictionary<string, JsonNode?> locals, IDictionary<string, JsonNode?> outer) : IDictionary<string, JsonNode?>
{
    public JsonNode? this[string key]
    {
        get => locals.TryGetValue(key, out var value) ? value : outer[key];
        set
        {
            if (locals.ContainsKey(key))
                locals[key] = value;
            else
                outer[key] = value;
        }
    }

    public ICollection<string> Keys => [.. locals.Keys.Union(outer.Keys)];
    public ICollection<JsonNode?> Values => [.. Keys.Select(k => this[k])];
    public int Count => Keys.Count;
    public bool IsReadOnly => false;

    public void Add(string key, JsonNode? value) => this[key] = value;
    public void Add(KeyValuePair<string, JsonNode?> item) => this[item.Key] = item.Value;
    public void Clear() => throw new NotSupportedException("Workflow variables cannot be cleared.");
    public bool Contains(KeyValuePair<string, JsonNode?> item) => TryGetValue(item.Key, out var value) && ReferenceEquals(value, item.Value);
    public bool ContainsKey(string key) => locals.ContainsKey(key) || outer.ContainsKey(key);
    public void CopyTo(KeyValuePair<string, JsonNode?>[] array, int arrayIndex) => this.ToList().CopyTo(array, arrayIndex);
    public bool Remove(string key) => locals.Remove(key) || outer.Remove(key);
    public bool Remove(KeyValuePair<string, JsonNode?> item) => Remove(item.Key);

    public bool TryGetValue(string key, out JsonNode? value) =>
        locals.TryGetValue(key, out value) || outer.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, JsonNode?>> GetEnumerator() =>
        Keys.Select(k => KeyValuePair.Create(k, this[k])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
