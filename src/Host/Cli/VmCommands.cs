using System.CommandLine;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Host.Cli;

/// <summary>
/// <c>vm start|stop|status --inventory FILE --node NODE VMID</c>: starts and stops a VM's QEMU on a node from its
/// inventory profile (used by tests and the demo).
/// </summary>
public static class VmCommands
{
    /// <summary>Builds the <c>vm</c> command with its subcommands.</summary>
    public static Command Build()
    {
        var vm = new Command("vm", "Start, stop and inspect a VM's QEMU on a node, from the site inventory");
        vm.Subcommands.Add(BuildStart());
        vm.Subcommands.Add(BuildStop());
        vm.Subcommands.Add(BuildStatus());
        return vm;
    }

    private static (Option<FileInfo> Inventory, Option<string> Node, Argument<string> VmId) CommonOptions() =>
    (
        new Option<FileInfo>("--inventory") { Description = "Site inventory JSON file", Required = true },
        new Option<string>("--node") { Description = "Node name from the inventory", Required = true },
        new Argument<string>("vmid") { Description = "VM id from the inventory" }
    );

    private static Command BuildStart()
    {
        var (inventory, node, vmId) = CommonOptions();
        var incoming = new Option<bool>("--incoming") { Description = "Start as a migration target (-incoming defer -S)" };
        var command = new Command("start", "Start the VM's QEMU (daemonized) on the node") { inventory, node, incoming, vmId };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(inventory)!, async inv =>
        {
            var status = await new QemuVmManager(inv).StartAsync(parse.GetValue(node)!, parse.GetValue(vmId)!,
                new QemuStartOptions { Incoming = parse.GetValue(incoming) }, ct);
            Console.WriteLine($"started {status.VmId} on {status.Node}: pid {status.Pid}, qmp {status.QmpSocket}");
            return 0;
        }, ct));
        return command;
    }

    private static Command BuildStop()
    {
        var (inventory, node, vmId) = CommonOptions();
        var command = new Command("stop", "Stop the VM's QEMU on the node (SIGTERM, then SIGKILL)") { inventory, node, vmId };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(inventory)!, async inv =>
        {
            var stopped = await new QemuVmManager(inv).StopAsync(parse.GetValue(node)!, parse.GetValue(vmId)!, cancellationToken: ct);
            Console.WriteLine(stopped ? $"stopped {parse.GetValue(vmId)} on {parse.GetValue(node)}" : $"{parse.GetValue(vmId)} was not running on {parse.GetValue(node)}");
            return 0;
        }, ct));
        return command;
    }

    private static Command BuildStatus()
    {
        var (inventory, node, vmId) = CommonOptions();
        var command = new Command("status", "Show whether the VM's QEMU runs on the node and its QMP run state") { inventory, node, vmId };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(inventory)!, async inv =>
        {
            var status = await new QemuVmManager(inv).StatusAsync(parse.GetValue(node)!, parse.GetValue(vmId)!, ct);
            if (!status.ProcessAlive)
            {
                Console.WriteLine($"{status.VmId} on {status.Node}: stopped");
                return 3;
            }
            var runState = "unknown (QMP socket not reachable from here)";
            if (File.Exists(status.QmpSocket))
            {
                await using var qmp = await QmpClient.ConnectAsync(status.QmpSocket, cancellationToken: ct);
                runState = QmpEnum.ToQapi((await qmp.QueryStatusAsync(ct)).Status);
            }
            Console.WriteLine($"{status.VmId} on {status.Node}: running, pid {status.Pid}, state {runState}, qmp {status.QmpSocket}");
            return 0;
        }, ct));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo inventoryFile, Func<SiteInventory, Task<int>> action, CancellationToken cancellationToken)
    {
        try
        {
            var inventory = await SiteInventory.LoadAsync(inventoryFile.FullName, cancellationToken);
            return await action(inventory);
        }
        catch (Exception ex) when (ex is InventoryException or ArgumentException or InvalidOperationException
                                       or Elsa.Migration.Activities.Nodes.NodeCommandException or QmpDisconnectedException)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message);
            return 1;
        }
    }
}
