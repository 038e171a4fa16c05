namespace Elsa.Migration.Host.Tests.Composition;

/// <summary>The host's folders (namespaces <c>Elsa.Migration.Host.X</c>) layer: the composition root uses every
/// feature and nothing uses it; <c>Server</c> (admission, VM locks, recovery, the starter) is used by features and
/// uses none; no two folders use each other, directly or round a loop. Read from the compiled host
/// (<see cref="NamespaceReferences"/>) and from the sources' using lines (<see cref="UsingLines"/>).</summary>
public sealed class NamespaceLayeringTests
{
    private const string Prefix = "Elsa.Migration.Host.";
    private static readonly string[] Folders = ["Composition", "Server", "Api", "Auth", "Scheduling", "Studio", "Sites", "Cli", "Demo", "Benchmarks"];

    /// <summary>Folder → folder it uses → one example (a type using a type, or a using line).</summary>
    private static readonly Dictionary<string, Dictionary<string, string>> Uses = ReadUses();

    [Fact]
    public void EveryFolder_ShouldHoldTypes_SoARenameCannotEmptyTheseRules()
    {
        var found = typeof(Program).Assembly.GetTypes().Select(t => FolderOf(t.Namespace)).OfType<string>().ToHashSet();
        var missing = Folders.Where(f => !found.Contains(f)).ToList();
        Assert.True(missing.Count == 0, "no types in: " + string.Join(", ", missing));
    }

    [Fact]
    public void CompositionRoot_ShouldBeUsedByNoFolder()
    {
        var users = Uses.Where(u => u.Key != "Composition" && u.Value.ContainsKey("Composition"))
            .Select(u => u.Value["Composition"]).ToList();
        Assert.True(users.Count == 0, "only Program may use the composition root: " + string.Join("; ", users));
    }

    [Fact]
    public void Server_ShouldUseNoFeatureFolder()
    {
        var used = Uses.GetValueOrDefault("Server")?.Values.ToList() ?? [];
        Assert.True(used.Count == 0, "Server is used by the features and must not use them: " + string.Join("; ", used));
    }

    [Fact]
    public void Folders_ShouldUseEachOtherWithoutCycles()
    {
        var cycles = Uses.SelectMany(from => from.Value.Keys.Select(to => PathBack(to, from.Key)))
            .OfType<List<string>>()
            .DistinctBy(cycle => string.Join(",", cycle.Skip(1).Order()))
            .Select(Describe)
            .ToList();
        Assert.True(cycles.Count == 0, "namespace cycles: " + string.Join(" | ", cycles));
    }

    /// <summary>A path from <paramref name="from"/> to <paramref name="to"/> along the uses, or null.</summary>
    private static List<string>? PathBack(string from, string to)
    {
        var queue = new Queue<List<string>>([[to, from]]);
        var seen = new HashSet<string> { from };
        while (queue.TryDequeue(out var path))
        {
            if (path[^1] == to)
                return path;
            foreach (var next in Uses.GetValueOrDefault(path[^1])?.Keys ?? Enumerable.Empty<string>())
                if (next == to || seen.Add(next))
                    queue.Enqueue([.. path, next]);
        }
        return null;
    }

    private static string Describe(List<string> cycle) =>
        string.Join(" -> ", cycle) + " (" + string.Join(", ", cycle.Zip(cycle.Skip(1), (a, b) => Uses[a][b])) + ")";

    private static Dictionary<string, Dictionary<string, string>> ReadUses()
    {
        var uses = new Dictionary<string, Dictionary<string, string>>();
        foreach (var (user, used) in NamespaceReferences.Of(typeof(Program).Assembly))
            Add(uses, user.Namespace, used.Namespace, $"{user.FullName} uses {used.FullName}");
        foreach (var (ns, used, file) in UsingLines.Of(UsingLines.HostSources()))
            Add(uses, ns, used, $"{file} has using {used}");
        return uses;
    }

    private static void Add(Dictionary<string, Dictionary<string, string>> uses, string? user, string? used, string example)
    {
        if (FolderOf(user) is not { } from || FolderOf(used) is not { } to || from == to)
            return;
        var edges = uses.TryGetValue(from, out var e) ? e : uses[from] = [];
        edges.TryAdd(to, example);
    }

    /// <summary>X of <c>Elsa.Migration.Host.X[.Y]</c>; null for the entry point (Program) and compiler-generated types.</summary>
    private static string? FolderOf(string? ns) =>
        ns?.StartsWith(Prefix, StringComparison.Ordinal) == true ? ns[Prefix.Length..].Split('.')[0] : null;
}
