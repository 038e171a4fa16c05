using System.Text.Json.Nodes;
using Elsa.Migration.Host.Tests.Api;

namespace Elsa.Migration.Host.Tests.Cli;

/// <summary>Names and messages from definitions reach the terminal escaped: a name cannot retitle or clear it.</summary>
public sealed class ControlCharacterTests : IDisposable
{
    private const string HostileName = "\u001b]0;pwned\u0007\u001b[2J";
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task Run_AndInstances_WithADefinitionNamedWithEscapeSequences_ShouldPrintThemEscaped()
    {
        var definition = JsonNode.Parse(TestWorkflows.Build("hostile-name",
            [TestWorkflows.Activity("start1", "Elsa.Start", 0), TestWorkflows.Activity("say1", "Elsa.WriteLine", 200, ("text", "String", "line\u001b[31m")),
             TestWorkflows.Activity("finish1", "Elsa.Finish", 400)], ["start1", "say1", "finish1"]))!.AsObject();
        definition["name"] = HostileName;
        var file = Path.Combine(_db.Folder, "hostile.json");
        await File.WriteAllTextAsync(file, definition.ToJsonString());

        var run = await CliProcess.RunAsync(_db.Path, "run", file);
        var instances = await CliProcess.RunAsync(_db.Path, "instances");

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Output}\n{run.Error}");
        foreach (var output in new[] { run.Output, run.Error, instances.Output, instances.Error })
        {
            Assert.DoesNotContain('\u001b', output);
            Assert.DoesNotContain('\u0007', output);
        }
        Assert.Contains(@"\u001b]0;pwned\u0007\u001b[2J", run.Output);
        Assert.Contains(@"\u001b]0;pwned\u0007\u001b[2J", instances.Output);
    }
}
