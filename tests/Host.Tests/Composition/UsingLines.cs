using System.Text.RegularExpressions;

namespace Elsa.Migration.Host.Tests.Composition;

/// <summary>The host's namespaces each source file of <c>src/Host</c> names in a <c>using</c> line. The compiled code
/// (<see cref="NamespaceReferences"/>) keeps no trace of a constant it uses (<c>MigrationServer.DefaultUrl</c> is
/// copied in), the using line does.</summary>
internal static partial class UsingLines
{
    /// <summary>Every (file's namespace, namespace it names, file) of the host's sources.</summary>
    public static IEnumerable<(string Namespace, string Used, string File)> Of(string hostSources) =>
        Directory.EnumerateFiles(hostSources, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(hostSources, f).Split(Path.DirectorySeparatorChar).Intersect(["bin", "obj", "assets"]).Any())
            .SelectMany(file =>
            {
                var text = File.ReadAllText(file);
                return FileNamespace().Match(text) is { Success: true } ns
                    ? Using().Matches(text).Select(u => (ns.Groups[1].Value, u.Groups[1].Value, Path.GetRelativePath(hostSources, file)))
                    : [];
            });

    /// <summary>The folder holding the host's sources, found above the test's output folder.</summary>
    public static string HostSources()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Elsa.Migration.sln")))
                return Path.Combine(dir.FullName, "src", "Host");
        throw new DirectoryNotFoundException($"No Elsa.Migration.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"^namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();

    // using X; using static X.Y; using A = X.Y; (global using too).
    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex Using();
}
