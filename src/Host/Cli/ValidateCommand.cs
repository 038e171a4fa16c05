using Elsa.Migration.Engine.Files;
using System.CommandLine;
using Elsa.Migration.Engine.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Cli;

/// <summary><c>validate FILE...</c>: lists every problem of every file; exit 0 when all are valid, 1 otherwise.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var files = new Argument<FileInfo[]>("files") { Description = "Workflow definition JSON files (Elsa 3 format).", Arity = ArgumentArity.OneOrMore };
        var command = new Command("validate", "Check workflow definitions without running them; lists every problem found.") { files };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = CliServices.Build(null);
            var loader = services.GetRequiredService<IWorkflowDefinitionLoader>();
            var valid = true;
            foreach (var file in parse.GetValue(files)!)
            {
                if (!file.Exists)
                {
                    Console.Out.WriteLine($"{file.FullName}: file not found");
                    valid = false;
                    continue;
                }
                string json;
                try
                {
                    json = await OperatorFile.ReadTextAsync(file.FullName, "workflow definition", cancellationToken);
                }
                catch (Exception ex) when (OperatorFile.IsUnreadable(ex))
                {
                    Console.Out.WriteLine($"{file.FullName}: {ex.Message}");
                    valid = false;
                    continue;
                }
                var problems = loader.Validate(json);
                Console.Out.WriteLine(problems.Count == 0 ? $"{file.Name}: valid" : $"{file.Name}: {problems.Count} problem(s)");
                foreach (var problem in problems)
                    Console.Out.WriteLine($"  {problem}");
                valid &= problems.Count == 0;
            }
            return valid ? 0 : 1;
        });
        return command;
    }
}
