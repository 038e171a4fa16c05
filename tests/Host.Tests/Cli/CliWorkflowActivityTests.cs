using Microsoft.Data.Sqlite;

namespace Elsa.Migration.Host.Tests.Cli;

/// <summary>The CLI with workflows used as activities (child files given first, or imported) and validate's warnings:
/// a real process, a real SQLite file, the engine's scenario definitions (Elsa 3 JSON).</summary>
public sealed class CliWorkflowActivityTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "elsa-cli-wfa-tests-" + Guid.NewGuid().ToString("N"));
    private readonly string _db;

    public CliWorkflowActivityTests()
    {
        Directory.CreateDirectory(_directory);
        _db = Path.Combine(_directory, "state.db");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Run_WithTheChildFileFirst_ShouldRunTheParentUsingIt()
    {
        var (exitCode, output, error) = await CliProcess.RunAsync(_db, "run", Scenario("greeter-child.json"), Scenario("greeter-parent.json"));

        Assert.True(exitCode == 0, output + error);
        Assert.Contains("child said re: Hello from the parent", output);
    }

    [Fact]
    public async Task Run_WhenTheChildWasImported_ShouldResolveItFromTheDatabase()
    {
        var (importExit, _, importError) = await CliProcess.RunAsync(_db, "import", Scenario("greeter-child.json"));
        Assert.True(importExit == 0, importError);

        var (exitCode, output, error) = await CliProcess.RunAsync(_db, "run", Scenario("greeter-parent.json"));

        Assert.True(exitCode == 0, output + error);
        Assert.Contains("again: re: Hello from the parent", output);
    }

    [Fact]
    public async Task Validate_ShouldListWarningsWithoutFailingAndEveryProblemOfEveryFile()
    {
        var (exitCode, output, _) = await CliProcess.RunAsync(_db, "validate", Scenario("merge-modes.json"), Scenario("four-problems.json"));

        Assert.Equal(1, exitCode);
        Assert.Contains("merge-modes.json: valid, 1 warning(s)", output);
        Assert.Contains("warning: ", output);
        Assert.Contains("[concurrent-branches]", output);
        Assert.Contains("four-problems.json: 6 problem(s)", output);
        foreach (var code in new[] { "[invalid-variable-value]", "[unknown-activity-type]", "[javascript-syntax]", "[unknown-variable]", "[dangling-connection]" })
            Assert.Contains(code, output);
    }

    private static string Scenario(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "tests", "Engine.Tests", "Scenarios", "Samples", name);
            if (File.Exists(path))
                return path;
        }
        throw new FileNotFoundException($"Scenario {name} not found above {AppContext.BaseDirectory}.");
    }
}
