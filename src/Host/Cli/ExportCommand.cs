using System.CommandLine;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Cli;

/// <summary><c>export ID [FILE]</c>: writes a definition (latest version unless --version) as Elsa 3 JSON.</summary>
public static class ExportCommand
{
    public static Command Create(Option<string?> db)
    {
        var id = new Argument<string>("ID") { Description = "The definition id." };
        var file = new Argument<FileInfo?>("FILE") { Description = "Where to write (default: standard output).", Arity = ArgumentArity.ZeroOrOne };
        var version = new Option<int?>("--version") { Description = "A given version instead of the latest." };
        var command = new Command("export", "Write a stored workflow definition as Elsa 3 JSON.") { id, file, version };
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var services = HostCliServices.Build(result.GetValue(db));
            var definitionId = result.GetValue(id)!;
            var json = await services.GetRequiredService<DefinitionCatalog>().ExportAsync(definitionId, result.GetValue(version), cancellationToken);
            if (json is null)
            {
                Console.Error.WriteLine($"No workflow definition '{definitionId}'{(result.GetValue(version) is { } v ? $" version {v}" : "")}; " +
                                        "list them with 'curl /api/definitions' or import one with './elsa-migrate import FILE'.");
                return 1;
            }
            if (result.GetValue(file) is { } target)
            {
                await File.WriteAllTextAsync(target.FullName, json + Environment.NewLine, cancellationToken);
                Console.Error.WriteLine($"Wrote '{definitionId}' to {target.FullName}");
            }
            else
            {
                Console.WriteLine(json);
            }
            return 0;
        });
        return command;
    }
}
