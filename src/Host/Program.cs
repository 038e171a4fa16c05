using System.CommandLine;
using Elsa.Migration.Host.Benchmarks;
using Elsa.Migration.Host.Cli;
using Elsa.Migration.Host.Composition;
using Elsa.Migration.Host.Demo;

// The CLI: one command per file under Cli/ (`serve` in Composition/, `bench` in Benchmarks/, `demo` in Demo/).
CliConsole.EscapeControlCharacters();
var database = CliServices.CreateDatabaseOption();
var root = new RootCommand("Elsa.Migration: live-migrate QEMU VMs between nodes, reusing their ZFS replication.") { database };
root.Add(ValidateCommand.Create());
root.Add(RunCommand.Create(database));
root.Add(PlanCommand.Create(database));
root.Add(RecoverCommand.Create(database));
root.Add(InstancesCommand.Create(database));
root.Add(HostsCommand.Create(database));
root.Add(ShowCommand.Create(database));
root.Add(MigrationDemoCommand.Create());
var bench = BenchCommand.Create(database);
bench.Add(MigrationBenchCommand.Create(database));
root.Add(bench);
root.Add(ServeCommand.Create(database));
root.Add(ImportCommand.Create(database));
root.Add(ExportCommand.Create(database));
root.Add(ScheduleCommand.Create(database));
root.Add(TokenCommand.Create(database));
root.Add(VmCommands.Build(database));
root.Add(SiteCommand.Create(database));
CliServices.CheckEnvironmentDatabase(root, database);
// No process-termination timeout: `run` handles SIGINT/SIGTERM itself and exits after the compensation.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
