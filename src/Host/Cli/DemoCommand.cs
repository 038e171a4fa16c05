using System.CommandLine;

namespace Elsa.Migration.Host.Cli;

/// <summary><c>demo</c>: runs the shipped sample workflow (<c>workflows/sample-hello.json</c>).</summary>
internal static class DemoCommand
{
    private const string Sample = "workflows/sample-hello.json";

    public static Command Create(Option<string?> database)
    {
        var command = new Command("demo", $"Run the sample workflow ({Sample}): a fork, a durable delay, a decision, a join.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = Find(Sample);
            if (file is null)
            {
                await Console.Error.WriteLineAsync($"{Sample} not found above {Environment.CurrentDirectory} or {AppContext.BaseDirectory}: run the demo from the repository (./elsa-migrate demo).");
                return WorkflowRunner.NotStarted;
            }
            return await WorkflowRunner.RunAsync(file, [], parse.GetValue(database), cancellationToken);
        });
        return command;
    }

    // The CLI runs from artifacts/cli (./elsa-migrate) or from a test's output folder: look upwards for the repository's file.
    private static string? Find(string relative)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }
}
