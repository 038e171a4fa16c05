using System.CommandLine;

namespace Elsa.Migration.Host.Cli;

/// <summary><c>run [CHILD...] FILE --input name=value ...</c>: runs a workflow, printing its journal live; exit codes in <see cref="RunExitCodes"/>.</summary>
internal static class RunCommand
{
    public static Command Create(Option<string?> database)
    {
        var files = new Argument<FileInfo[]>("files")
        {
            Description = "The workflow definition JSON file (Elsa 3 format) to run, last; before it, the definitions it uses as workflow activities.",
            Arity = ArgumentArity.OneOrMore,
        };
        var inputs = new Option<string[]>("--input", "-i") { Description = "A workflow input as name=value (repeatable)." };
        var command = new Command("run", "Run a workflow in this process and print its journal while it runs. " +
            "Exit code: 0 Migrated (or Finished), 1 RolledBack or Refused (or Faulted), 2 cancelled and rolled back (Ctrl-C cancels and runs the compensation), " +
            "3 not started, 4 NeedsAttention (the rollback failed or the VM's location is unknown).") { files, inputs };
        command.SetAction((parse, cancellationToken) =>
        {
            var given = parse.GetValue(files)!.Select(f => f.FullName).ToList();
            return WorkflowRunner.RunAsync(given[^1], parse.GetValue(inputs) ?? [], parse.GetValue(database), cancellationToken, given[..^1]);
        });
        return command;
    }
}
