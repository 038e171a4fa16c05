using Elsa.Migration.Engine.Files;
using System.CommandLine;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Validation;

namespace Elsa.Migration.Host.Cli;

/// <summary><c>validate FILE...</c>: lists every problem and warning of every file; exit 0 when none has an error, 1 otherwise.</summary>
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
            // The files may use each other (and imported definitions) as workflow activities.
            await WorkflowFiles.RegisterAsync(services, parse.GetValue(files)!.Select(f => f.FullName), cancellationToken);
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
                var cycle = await WorkflowFiles.PrepareAsync(services, json, cancellationToken);
                // Errors refuse the file; warnings say where the runtime runs a construct differently from Elsa.
                var problems = cycle is null ? loader.Check(json) : [cycle, .. loader.Check(json)];
                var errors = problems.Count(p => p.Severity == ProblemSeverity.Error);
                var warnings = problems.Count - errors;
                Console.Out.WriteLine(errors == 0
                    ? $"{file.Name}: valid" + (warnings == 0 ? "" : $", {warnings} warning(s)")
                    : $"{file.Name}: {errors} problem(s)" + (warnings == 0 ? "" : $", {warnings} warning(s)"));
                foreach (var problem in problems)
                    Console.Out.WriteLine($"  {problem}");
                valid &= errors == 0;
            }
            return valid ? 0 : 1;
        });
        return command;
    }
}
