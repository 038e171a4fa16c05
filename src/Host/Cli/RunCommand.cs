using System.CommandLine;

namespace Elsa.Migration.Host.Cli;

/// <summary><c>run FILE --input name=value ...</c>: runs a workflow, printing its journal live; exit codes in <see cref="RunExitCodes"/>.</summary>
internal static class RunCommand
{
    public static Command Create(Option<string?> database)
    {
        var file = new Argument<FileInfo>("file") { Description = "The workflow definition JSON file (Elsa 3 format)." };
        var inputs = new Option<string[]>("--input", "-i") { Description = "A workflow input as name=value (repeatable)." };
        var command = new Command("run", "Run a workflow in this process and print its journal while it runs. " +
            "Exit code: 0 Migrated (or Finished), 1 RolledBack (or Faulted), 2 cancelled and rolled back (Ctrl-C cancels and runs the compensation), " +
            "3 not started, 4 NeedsAttention (the rollback failed or the VM's location is unknown).") { file, inputs };
        command.SetAction((parse, cancellationToken) =>
            WorkflowRunner.RunAsync(parse.GetValue(file)!.FullName, parse.GetValue(inputs) ?? [], parse.GetValue(database), cancellationToken));
        return command;
    }
}
