using System.CommandLine;
using System.Globalization;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Engine.Files;
using Elsa.Migration.Host.Sites;

namespace Elsa.Migration.Host.Cli;

/// <summary>
/// <c>site import|list|show|delete</c>: registered sites (validated inventories, versioned) in the database. The
/// procedures' <c>Site</c> input names one; the server never reads an inventory file.
/// </summary>
public static class SiteCommand
{
    /// <summary>Exit code of a refused command (invalid name or inventory, unreadable file, no such site).</summary>
    public const int Refused = 1;

    public static Command Create(Option<string?> db)
    {
        var command = new Command("site", "Registered sites (inventories): import a file as a new version, list, show, delete.");
        command.Subcommands.Add(Import(db));
        command.Subcommands.Add(List(db));
        command.Subcommands.Add(Show(db));
        command.Subcommands.Add(Delete(db));
        return command;
    }

    private static Command Import(Option<string?> db)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The site inventory JSON file (nodes, VMs, disks)." };
        var name = new Option<string?>("--name") { Description = "The site's name (default: the file name without extension): lowercase letters, digits, '-'." };
        var command = new Command("import", "Validate an inventory file and store it as the next version of the site (nothing is stored when it is invalid).") { file, name };
        command.SetAction(async (result, cancellationToken) =>
        {
            var path = result.GetValue(file)!.FullName;
            var siteName = result.GetValue(name) ?? Path.GetFileNameWithoutExtension(path);
            string json;
            try
            {
                json = await OperatorFile.ReadTextAsync(path, "inventory", cancellationToken);
            }
            catch (Exception ex) when (OperatorFile.IsUnreadable(ex))
            {
                await Console.Error.WriteLineAsync($"{path}: {ex.Message}");
                return Refused;
            }
            await using var services = CliServices.Build(result.GetValue(db));
            var registered = await services.GetRequiredService<SiteRegistration>().RegisterAsync(siteName, json, cancellationToken);
            if (registered.Stored is not { } stored)
            {
                await Console.Error.WriteLineAsync($"{path}: not imported, {registered.Problems.Count} problem(s):");
                foreach (var problem in registered.Problems)
                    await Console.Error.WriteLineAsync("  - " + problem);
                return Refused;
            }
            Console.WriteLine($"{Path.GetFileName(path)}: imported site '{stored.Name}' version {stored.Version}");
            return 0;
        });
        return command;
    }

    private static Command List(Option<string?> db)
    {
        var command = new Command("list", "List the sites: name, latest version, when it was imported.");
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var services = CliServices.Build(result.GetValue(db));
            foreach (var site in await services.GetRequiredService<SiteStore>().ListAsync(cancellationToken))
                Console.WriteLine($"{site.Name}  version {site.LatestVersion}  ({site.Versions} version(s))  imported {Date(site.UpdatedAt)}");
            return 0;
        });
        return command;
    }

    private static Command Show(Option<string?> db)
    {
        var name = new Argument<string>("NAME") { Description = "The site's name." };
        var version = new Option<int?>("--version") { Description = "The version to show (default: the latest, the one procedures use)." };
        var command = new Command("show", "Print a site's inventory JSON.") { name, version };
        command.SetAction(async (result, cancellationToken) =>
        {
            var siteName = result.GetValue(name)!;
            if (!NameRules.IsSiteName(siteName))
            {
                await Console.Error.WriteLineAsync($"'{siteName}' is not a site name (lowercase letters, digits, '-').");
                return Refused;
            }
            await using var services = CliServices.Build(result.GetValue(db));
            var stored = await services.GetRequiredService<SiteStore>().GetAsync(siteName, result.GetValue(version), cancellationToken);
            if (stored is null)
            {
                await Console.Error.WriteLineAsync($"No site '{siteName}'{(result.GetValue(version) is { } v ? $" version {v}" : "")}: see './elsa-migrate site list'.");
                return Refused;
            }
            await Console.Error.WriteLineAsync($"site '{stored.Name}' version {stored.Version}, imported {Date(stored.CreatedAt)}");
            Console.WriteLine(stored.InventoryJson);
            return 0;
        });
        return command;
    }

    private static Command Delete(Option<string?> db)
    {
        var name = new Argument<string>("NAME") { Description = "The site's name." };
        var command = new Command("delete", "Delete every version of a site. Running migrations are unaffected (their plans carry the nodes).") { name };
        command.SetAction(async (result, cancellationToken) =>
        {
            var siteName = result.GetValue(name)!;
            await using var services = CliServices.Build(result.GetValue(db));
            var deleted = NameRules.IsSiteName(siteName) ? await services.GetRequiredService<SiteStore>().DeleteAsync(siteName, cancellationToken) : 0;
            if (deleted == 0)
            {
                await Console.Error.WriteLineAsync($"No site '{siteName}': see './elsa-migrate site list'.");
                return Refused;
            }
            Console.WriteLine($"Deleted site '{siteName}' ({deleted} version(s)).");
            return 0;
        });
        return command;
    }

    private static string Date(DateTimeOffset value) => value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
