using System.CommandLine;

// The CLI: one command per file under Cli/ (and Api/Studio/Scheduling for `serve`).
var root = new RootCommand("Elsa.Migration: live-migrate QEMU VMs between nodes, reusing their ZFS replication.");
// Commands are added here, one line each.
root.Subcommands.Add(Elsa.Migration.Host.Cli.ServeCommand.Create());
root.Subcommands.Add(Elsa.Migration.Host.Cli.ImportCommand.Create());
root.Subcommands.Add(Elsa.Migration.Host.Cli.ExportCommand.Create());
root.Subcommands.Add(Elsa.Migration.Host.Cli.ScheduleCommand.Create());
return await root.Parse(args).InvokeAsync();
