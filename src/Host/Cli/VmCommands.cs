using System.CommandLine;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Host.Cli;

/// <summary>
/// <c>vm start|stop|status --inventory FILE | --site NAME --node NODE VMID</c>: starts and stops a VM's QEMU on a node
/// from its inventory profile, read from the operator's own file or from a registered site (used by tests and the demo). Exit codes: 0 done / running, 1 error or refused, 3 stopped (status),
/// 4 unknown: a node could not be asked (ssh failed), so nothing was decided from it.
/// </summary>
public static class VmCommands
{
    /// <summary>Done (start, stop) or running (status).</summary>
    public const int Success = 0;
    public const int Error = 1;
    public const int Stopped = 3;
    public const int Unknown = 4;

    /// <summary>Builds the <c>vm</c> command with its subcommands.</summary>
    public static Command Build(Option<string?> db)
    {
        var vm = new Command("vm", "Start, stop and inspect a VM's QEMU on a node, from the site inventory");
        vm.Subcommands.Add(BuildStart(db));
        vm.Subcommands.Add(BuildStop(db));
        vm.Subcommands.Add(BuildStatus(db));
        return vm;
    }

    /// <summary>Where the inventory comes from: <c>--inventory FILE</c> or <c>--site NAME</c>, exactly one.</summary>
    private sealed record InventorySource(Option<FileInfo?> File, Option<string?> Site, Option<string?> Db)
    {
        public Command AddTo(Command command)
        {
            command.Options.Add(File);
            command.Options.Add(Site);
            return command;
        }
    }

    private static (InventorySource Inventory, Option<string> Node, Argument<string> VmId) CommonOptions(Option<string?> db) =>
    (
        new InventorySource(
            new Option<FileInfo?>("--inventory") { Description = "Your site inventory JSON file (or --site)" },
            new Option<string?>("--site") { Description = "A registered site (./elsa-migrate site list) whose inventory to use (or --inventory)" },
            db),
        new Option<string>("--node") { Description = "Node name from the inventory", Required = true },
        new Argument<string>("vmid") { Description = "VM id from the inventory" }
    );

    private static Command BuildStart(Option<string?> db)
    {
        var (inventory, node, vmId) = CommonOptions(db);
        var incoming = new Option<bool>("--incoming") { Description = "Start as a migration target (-incoming defer -S); the VM runs elsewhere meanwhile" };
        var force = new Option<bool>("--force")
        {
            Description = "Start even when another node of the inventory cannot be asked whether the VM runs there (two QEMUs on one disk corrupt it)",
        };
        var command = new Command("start", "Start the VM's QEMU (daemonized) on the node; refused while it runs, or may run, on another node")
            { node, incoming, force, vmId };
        inventory.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(parse, inventory, async inv =>
        {
            var manager = new QemuVmManager(inv);
            var (name, id) = (parse.GetValue(node)!, parse.GetValue(vmId)!);
            if (!parse.GetValue(incoming) && await RefuseElsewhereAsync(manager, name, id, parse.GetValue(force), ct) is { } refused)
                return refused;
            var status = await manager.StartAsync(name, id, new QemuStartOptions { Incoming = parse.GetValue(incoming) }, ct);
            Console.WriteLine($"started {status.VmId} on {status.Node}: pid {status.Pid}, qmp {status.QmpSocket}");
            return Success;
        }, ct));
        return command;
    }

    /// <summary>An exit code when the VM runs on another node, or may (that node cannot be asked and <c>--force</c> is absent); else null.</summary>
    private static async Task<int?> RefuseElsewhereAsync(QemuVmManager manager, string node, string vmId, bool force, CancellationToken ct)
    {
        var (answered, unknown) = await manager.ElsewhereAsync(node, vmId, ct);
        if (answered.FirstOrDefault(s => s.ProcessAlive) is { } running)
        {
            await Console.Error.WriteLineAsync($"error: VM '{vmId}' runs on node '{running.Node}' (pid {running.Pid}): stop it there first (or migrate it).");
            return Error;
        }
        if (unknown.Count == 0)
            return null;
        foreach (var ex in unknown)
            await Console.Error.WriteLineAsync((force ? "warning: " : "error: ") + ex.Message);
        if (force)
            return null;
        await Console.Error.WriteLineAsync($"error: not starting VM '{vmId}' on '{node}': it may run on {string.Join(", ", unknown.Select(e => $"'{e.Node}'"))}, " +
            "which could not be asked. Fix the node's reachability, or pass --force if you know the VM does not run there.");
        return Unknown;
    }

    private static Command BuildStop(Option<string?> db)
    {
        var (inventory, node, vmId) = CommonOptions(db);
        var command = inventory.AddTo(new Command("stop", "Stop the VM's QEMU on the node (SIGTERM, then SIGKILL)") { node, vmId });
        command.SetAction((parse, ct) => RunAsync(parse, inventory, async inv =>
        {
            var stopped = await new QemuVmManager(inv).StopAsync(parse.GetValue(node)!, parse.GetValue(vmId)!, cancellationToken: ct);
            Console.WriteLine(stopped ? $"stopped {parse.GetValue(vmId)} on {parse.GetValue(node)}" : $"{parse.GetValue(vmId)} was not running on {parse.GetValue(node)}");
            return Success;
        }, ct));
        return command;
    }

    private static Command BuildStatus(Option<string?> db)
    {
        var (inventory, node, vmId) = CommonOptions(db);
        var command = new Command("status", "Show whether the VM's QEMU runs on the node and its QMP run state. " +
            "Exit code: 0 running, 3 stopped, 4 unknown (the node could not be asked), 1 error.") { node, vmId };
        inventory.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(parse, inventory, async inv =>
        {
            VmProcessStatus status;
            try
            {
                status = await new QemuVmManager(inv).StatusAsync(parse.GetValue(node)!, parse.GetValue(vmId)!, ct);
            }
            catch (Elsa.Migration.Activities.Nodes.NodeUnreachableException ex)
            {
                Console.WriteLine($"{parse.GetValue(vmId)} on {parse.GetValue(node)}: unknown ({ex.TransportError})");
                throw;
            }
            if (!status.ProcessAlive)
            {
                Console.WriteLine($"{status.VmId} on {status.Node}: stopped");
                return Stopped;
            }
            var runState = "unknown (QMP socket not reachable from here)";
            if (File.Exists(status.QmpSocket))
            {
                await using var qmp = await QmpClient.ConnectAsync(status.QmpSocket, cancellationToken: ct);
                runState = QmpEnum.ToQapi((await qmp.QueryStatusAsync(ct)).Status);
            }
            Console.WriteLine($"{status.VmId} on {status.Node}: running, pid {status.Pid}, state {runState}, qmp {status.QmpSocket}");
            return Success;
        }, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, InventorySource source, Func<SiteInventory, Task<int>> action, CancellationToken cancellationToken)
    {
        var (file, site) = (parse.GetValue(source.File), parse.GetValue(source.Site));
        if ((file is null) == (site is null))
        {
            await Console.Error.WriteLineAsync("error: give either --inventory FILE (your inventory file) or --site NAME (a registered site), one of them.");
            return Error;
        }
        try
        {
            var inventory = file is not null
                ? await SiteInventory.LoadAsync(file.FullName, cancellationToken)
                : await LoadSiteAsync(parse.GetValue(source.Db), site!, cancellationToken);
            return await action(inventory);
        }
        catch (Elsa.Migration.Activities.Nodes.NodeUnreachableException ex)
        {
            // Could not ask: the VM's state there is unknown, which is neither running nor stopped.
            await Console.Error.WriteLineAsync("unknown: " + ex.Message);
            return Unknown;
        }
        catch (Exception ex) when (ex is InventoryException or SiteNotFoundException or ArgumentException or InvalidOperationException
                                       or Elsa.Migration.Activities.Nodes.NodeCommandException or QmpDisconnectedException)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message);
            return Error;
        }
    }

    private static async Task<SiteInventory> LoadSiteAsync(string? databasePath, string site, CancellationToken cancellationToken)
    {
        await using var services = CliServices.Build(databasePath);
        return (await SiteSelection.LoadAsync(services.GetRequiredService<ISiteCatalog>(), site, cancellationToken)).Inventory;
    }
}
