using Elsa.Migration.Engine.Files;
using System.CommandLine;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Cli;

/// <summary><c>import FILE...</c>: validates Elsa 3 JSON files and stores each as a new (published) definition version.</summary>
public static class ImportCommand
{
    public static Command Create(Option<string?> db)
    {
        var files = new Argument<FileInfo[]>("FILE") { Description = "Elsa 3 workflow-definition JSON files, e.g. workflows/*.json.", Arity = ArgumentArity.OneOrMore };
        var draft = new Option<bool>("--draft") { Description = "Store as a draft; do not publish." };
        var command = new Command("import", "Validate and store workflow definitions (a new version each; nothing is stored for an invalid file).") { files, draft };
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var services = HostCliServices.Build(result.GetValue(db));
            var catalog = services.GetRequiredService<DefinitionCatalog>();
            var failed = 0;
            foreach (var file in result.GetValue(files)!)
            {
                if (!file.Exists)
                {
                    Console.Error.WriteLine($"{file.FullName}: no such file.");
                    failed++;
                    continue;
                }
                string json;
                try
                {
                    json = await OperatorFile.ReadTextAsync(file.FullName, "workflow definition", cancellationToken);
                }
                catch (Exception ex) when (OperatorFile.IsUnreadable(ex))
                {
                    Console.Error.WriteLine($"{file.FullName}: {ex.Message}");
                    failed++;
                    continue;
                }
                var change = await catalog.ImportAsync(json, !result.GetValue(draft), cancellationToken);
                if (change.Succeeded)
                {
                    Console.WriteLine($"{file.Name}: imported '{change.Stored!.DefinitionId}' version {change.Stored.Version}" +
                                      (change.Stored.IsPublished ? " (published)" : " (draft)"));
                    continue;
                }
                failed++;
                Console.Error.WriteLine($"{file.Name}: not imported, {change.Problems.Count} problem(s):");
                foreach (var problem in change.Problems)
                    Console.Error.WriteLine("  " + problem);
            }
            return failed == 0 ? 0 : 1;
        });
        return command;
    }
}
