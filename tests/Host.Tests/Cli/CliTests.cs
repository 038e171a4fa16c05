using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Elsa.Migration.Host.Tests.Cli;

/// <summary>The CLI as users meet it: a real process, a real SQLite file, the repository's sample files.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "elsa-cli-tests-" + Guid.NewGuid().ToString("N"));
    private readonly string _db;

    public CliTests()
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
    public async Task Validate_WithThreeDifferentErrors_ShouldListAllThreeAndExit1()
    {
        var (exitCode, output, _) = await CliProcess.RunAsync(_db, "validate", RepositoryFile("tests/Engine.Tests/Validation/Samples/three-errors.json"));

        Assert.Equal(1, exitCode);
        Assert.Contains("3 problem(s)", output);
        Assert.Contains("[unknown-activity-type]", output);
        Assert.Contains("[invalid-literal]", output);
        Assert.Contains("[dangling-connection]", output);
    }

    [Theory]
    [InlineData("validate")]
    [InlineData("import")]
    [InlineData("run")]
    public async Task ReadingADevice_ShouldBeRefusedWithAClearErrorNotACrash(string command)
    {
        var (exitCode, output, error) = await CliProcess.RunAsync(_db, command, "/dev/zero");

        Assert.True(exitCode is 1 or 3, $"exit {exitCode}\n{output}\n{error}");
        Assert.Contains("/dev/zero is not a regular file", output + error);
        Assert.DoesNotContain("Unhandled exception", output + error);
    }

    [Fact]
    public async Task Validate_WithTheShippedSample_ShouldExit0()
    {
        var (exitCode, output, _) = await CliProcess.RunAsync(_db, "validate", RepositoryFile("workflows/sample-hello.json"));

        Assert.Equal(0, exitCode);
        Assert.Contains("sample-hello.json: valid", output);
    }

    [Fact]
    public async Task Run_TheSample_ShouldPrintTheJournalExit0AndBeListedAndShown()
    {
        var (exitCode, output, error) = await CliProcess.RunAsync(_db, "run", RepositoryFile("workflows/sample-hello.json"), "--input", "Operator=Tester");

        Assert.True(exitCode == 0, $"exit {exitCode}\n{output}\n{error}");
        Assert.Contains("Hello, Tester!", output);
        Assert.Contains("ActivitySuspended wait (Elsa.Delay)", output);
        Assert.Contains("Both branches joined.", output);
        var instanceId = output.Split('\n').Single(l => l.StartsWith("Instance ", StringComparison.Ordinal) && l.Contains("ended Finished")).Split(' ')[1];

        var (listExit, list, _) = await CliProcess.RunAsync(_db, "instances");
        Assert.Equal(0, listExit);
        Assert.Contains(instanceId, list);
        var (showExit, show, _) = await CliProcess.RunAsync(_db, "show", instanceId);
        Assert.Equal(0, showExit);
        Assert.Contains("Status     Finished", show);
        Assert.Matches("\"Answer\": \"?42\"?", show);
        Assert.Contains("ActivityCompleted join (Elsa.FlowJoin)", show);
    }

    [Fact]
    public async Task Run_WhenAnActivityFaults_ShouldExit1()
    {
        var file = Write("faults.json", Workflow("faults", [Activity("boom", "Elsa.WriteLine", "text", Js("throw new Error('kaputt')"))]));

        var (exitCode, output, _) = await CliProcess.RunAsync(_db, "--db", _db, "run", file);

        Assert.Equal(1, exitCode);
        Assert.Contains("ended Faulted", output);
        Assert.Contains("kaputt", output);
    }

    [Fact]
    public async Task Run_WhenTheFileIsInvalid_ShouldExit3WithoutStarting()
    {
        var (exitCode, _, error) = await CliProcess.RunAsync(_db, "run", RepositoryFile("tests/Engine.Tests/Validation/Samples/three-errors.json"));

        Assert.Equal(3, exitCode);
        Assert.Contains("dangling-connection", error);
    }

    /// <summary>Ctrl-C cancels and exits 2. Only built-in activities ran (a Delay), so the compensation has nothing to
    /// undo and is skipped, saying so; DemoInterruptTests interrupts a real migration, whose Rollback does run.</summary>
    [Fact]
    public async Task Run_WhenInterruptedWithCtrlC_ShouldCancelExit2AndSkipACompensationWithNothingToUndo()
    {
        var file = Write("long.json", Workflow("long", [
            Activity("wait", "Elsa.Delay", "timeSpan", Literal("00:10:00")),
            Activity("rollback", "Elsa.WriteLine", "text", Literal("compensation ran")),
        ], compensation: "rollback"));
        using var cli = CliProcess.Start(_db, "run", file);
        await cli.WaitForOutputAsync("ActivitySuspended wait", TimeSpan.FromSeconds(60));

        await cli.InterruptAsync();
        var exitCode = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 2, $"exit {exitCode}\n{cli.Output}\n{cli.Error}");
        Assert.DoesNotContain("compensation ran", cli.Output);
        Assert.Contains("Not compensating: nothing with effects outside the instance ran", cli.Output);
        Assert.Contains("ended Cancelled", cli.Output);
    }

    [Fact]
    public async Task DatabasePath_WithoutDbOrEnvironmentVariable_ShouldDefaultUnderXdgDataHome()
    {
        var dataHome = Path.Combine(_directory, "xdg");

        var exitCode = await CliProcess.RunWithEnvironmentAsync(new Dictionary<string, string> { ["XDG_DATA_HOME"] = dataHome }, "instances");

        Assert.Equal(0, exitCode);
        Assert.True(File.Exists(Path.Combine(dataHome, "elsa-migration", "state.db")));
        Assert.False(File.Exists(_db));
    }

    [Fact]
    public async Task DatabasePath_DbOption_ShouldWinOverTheEnvironmentVariable()
    {
        var explicitDb = Path.Combine(_directory, "explicit.db");

        var (exitCode, _, _) = await CliProcess.RunAsync(_db, "instances", "--db", explicitDb);

        Assert.Equal(0, exitCode);
        Assert.True(File.Exists(explicitDb));
        Assert.False(File.Exists(_db));
    }

    private string Write(string name, JsonObject document)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, document.ToJsonString());
        return path;
    }

    private static JsonObject Literal(string value) => new() { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = value } };

    private static JsonObject Js(string script) => new() { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "JavaScript", ["value"] = script } };

    private static JsonObject Activity(string id, string type, string input, JsonObject value) =>
        new() { ["id"] = id, ["type"] = type, ["version"] = 1, [input] = value };

    // Start -> the first activity; the others are reached only as compensation.
    private static JsonObject Workflow(string id, JsonObject[] activities, string? compensation = null)
    {
        var all = new JsonArray { new JsonObject { ["id"] = "start", ["type"] = "Elsa.Start", ["version"] = 1 } };
        foreach (var activity in activities)
            all.Add(activity);
        var document = new JsonObject
        {
            ["definitionId"] = id,
            ["name"] = id,
            ["version"] = 1,
            ["root"] = new JsonObject
            {
                ["id"] = "flow",
                ["type"] = "Elsa.Flowchart",
                ["activities"] = all,
                ["connections"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["source"] = new JsonObject { ["activity"] = "start", ["port"] = "Done" },
                        ["target"] = new JsonObject { ["activity"] = activities[0]["id"]!.GetValue<string>(), ["port"] = "In" },
                    },
                },
            },
        };
        if (compensation is not null)
            document["customProperties"] = new JsonObject { ["compensationActivityId"] = compensation };
        return document;
    }

    internal static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Elsa.Migration.sln")))
                return Path.Combine(dir.FullName, relative);
        }
        throw new DirectoryNotFoundException($"No Elsa.Migration.sln above {AppContext.BaseDirectory}.");
    }
}
