using System.Text.Json.Nodes;
using Elsa.Migration.Host.Tests.Api;

namespace Elsa.Migration.Host.Tests.Cli;

/// <summary><c>./elsa-migrate site import|list|show|delete</c>: the built CLI as a process on a real SQLite file.</summary>
public sealed class SiteCommandTests : IDisposable
{
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task Import_list_show_and_delete_a_site_named_after_its_file_with_versions()
    {
        var file = await WriteAsync("main.json", TestSites.Inventory().ToJsonString());

        var first = await CliProcess.RunAsync(_db.Path, "site", "import", file);
        var second = await CliProcess.RunAsync(_db.Path, "site", "import", file);
        var list = await CliProcess.RunAsync(_db.Path, "site", "list");
        var show = await CliProcess.RunAsync(_db.Path, "site", "show", "main");
        var showV1 = await CliProcess.RunAsync(_db.Path, "site", "show", "main", "--version", "1");

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Contains("imported site 'main' version 1", first.Output);
        Assert.Contains("imported site 'main' version 2", second.Output);
        Assert.Contains("main  version 2  (2 version(s))", list.Output);
        Assert.Equal(0, show.ExitCode);
        Assert.Equal("lab-a", JsonNode.Parse(show.Output)!["nodes"]![0]!["name"]!.GetValue<string>());
        Assert.Contains("site 'main' version 1", showV1.Error);

        var delete = await CliProcess.RunAsync(_db.Path, "site", "delete", "main");
        var gone = await CliProcess.RunAsync(_db.Path, "site", "show", "main");
        var deleteAgain = await CliProcess.RunAsync(_db.Path, "site", "delete", "main");

        Assert.Contains("Deleted site 'main' (2 version(s))", delete.Output);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("No site 'main'", gone.Error);
        Assert.Equal(1, deleteAgain.ExitCode);
        Assert.DoesNotContain("main", (await CliProcess.RunAsync(_db.Path, "site", "list")).Output);
    }

    [Fact(Timeout = 120_000)]
    public async Task Import_of_an_invalid_inventory_lists_every_problem_and_stores_nothing()
    {
        await CliProcess.RunAsync(_db.Path, "site", "import", await WriteAsync("other.json", TestSites.Inventory().ToJsonString()));
        var before = await DatabaseDump.ReadAsync(_db.Path, CancellationToken.None);
        var file = await WriteAsync("bad.json", """
            { "nodes": [ { "name": "Bad Node", "qmpSocketDir": "relative", "storages": [] } ],
              "vms": [ { "id": "vm1", "disks": [ { "id": "d0", "kind": "weird", "storage": "none", "volume": "v", "sizeBytes": 1 } ] } ] }
            """);

        var (exitCode, _, error) = await CliProcess.RunAsync(_db.Path, "site", "import", file, "--name", "bad");

        Assert.Equal(1, exitCode);
        Assert.Contains("not imported", error);
        Assert.Contains("nodes[0].name", error);
        Assert.Contains("nodes[0].qmpSocketDir", error);
        Assert.Contains("vms[0].disks[0]", error);
        Assert.Equal(before, await DatabaseDump.ReadAsync(_db.Path, CancellationToken.None));
    }

    [Theory(Timeout = 120_000)]
    [InlineData("../x", "The site name '../x' is not valid")]
    [InlineData("Main", "The site name 'Main' is not valid")]
    [InlineData("-rf", "The site name '-rf' is not valid")]
    public async Task Import_with_a_bad_name_is_refused_and_stores_nothing(string name, string reason)
    {
        var file = await WriteAsync("main.json", TestSites.Inventory().ToJsonString());

        var (exitCode, _, error) = await CliProcess.RunAsync(_db.Path, "site", "import", file, $"--name={name}");

        Assert.Equal(1, exitCode);
        Assert.Contains(reason, error);
        Assert.DoesNotContain("version", (await CliProcess.RunAsync(_db.Path, "site", "list")).Output);
    }

    [Fact(Timeout = 120_000)]
    public async Task Import_of_dev_zero_is_refused_with_a_clear_error()
    {
        var (exitCode, _, error) = await CliProcess.RunAsync(_db.Path, "site", "import", "/dev/zero", "--name", "zero");

        Assert.Equal(1, exitCode);
        Assert.Contains("/dev/zero", error);
        Assert.DoesNotContain("Unhandled", error);
        Assert.DoesNotContain("zero", (await CliProcess.RunAsync(_db.Path, "site", "list")).Output);
    }

    private async Task<string> WriteAsync(string name, string text)
    {
        var path = Path.Combine(_db.Folder, name);
        await File.WriteAllTextAsync(path, text);
        return path;
    }
}
