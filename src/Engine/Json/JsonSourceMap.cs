using System.Text;
using System.Text.Json;

namespace Elsa.Migration.Engine.Json;

/// <summary>
/// Where each property and array element of a JSON text starts (1-based line and column), by path such as
/// <c>model.root.activities[1].timeout</c>, so validation problems can point into the file the user edits.
/// </summary>
public sealed class JsonSourceMap
{
    private readonly Dictionary<string, (int Line, int Column)> _positions = new(StringComparer.Ordinal);

    private JsonSourceMap() { }

    /// <summary>Maps a syntactically valid JSON text (comments are skipped).</summary>
    public static JsonSourceMap Build(string json)
    {
        var map = new JsonSourceMap();
        var bytes = Encoding.UTF8.GetBytes(json);
        var lineStarts = LineStarts(bytes);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var frames = new Stack<Frame>();
        var pendingPath = "";
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    pendingPath = Join(frames.Peek().Path, reader.GetString()!);
                    map.Record(pendingPath, reader.TokenStartIndex, bytes, lineStarts);
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    frames.Push(new Frame(map.ValuePath(frames, pendingPath, reader.TokenStartIndex, bytes, lineStarts), reader.TokenType == JsonTokenType.StartArray));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    frames.Pop();
                    break;
                default:
                    map.ValuePath(frames, pendingPath, reader.TokenStartIndex, bytes, lineStarts);
                    break;
            }
        }
        return map;
    }

    /// <summary>The position of <paramref name="path"/>, or of its nearest mapped ancestor; null when nothing matches.</summary>
    public (int Line, int Column)? Find(string path)
    {
        for (var p = path; p.Length > 0; p = Parent(p))
        {
            if (_positions.TryGetValue(p, out var position))
                return position;
        }
        return null;
    }

    private string ValuePath(Stack<Frame> frames, string pendingPath, long offset, byte[] bytes, int[] lineStarts)
    {
        if (frames.Count == 0)
            return "";
        var frame = frames.Peek();
        if (!frame.IsArray)
            return pendingPath;
        var path = $"{frame.Path}[{frame.Index++}]";
        Record(path, offset, bytes, lineStarts);
        return path;
    }

    private void Record(string path, long offset, byte[] bytes, int[] lineStarts)
    {
        var line = Array.BinarySearch(lineStarts, (int)offset);
        if (line < 0)
            line = ~line - 1;
        var column = Encoding.UTF8.GetCharCount(bytes, lineStarts[line], (int)offset - lineStarts[line]) + 1;
        _positions.TryAdd(path, (line + 1, column));
    }

    private static int[] LineStarts(byte[] bytes)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
                starts.Add(i + 1);
        }
        return [.. starts];
    }

    private static string Join(string parent, string name) => parent.Length == 0 ? name : $"{parent}.{name}";

    private static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }

    private sealed class Frame(string path, bool isArray)
    {
        public string Path { get; } = path;
        public bool IsArray { get; } = isArray;
        public int Index { get; set; }
    }
}
