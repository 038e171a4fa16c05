using System.CommandLine;
using Elsa.Migration.Host.Cli;
using Spectre.Console;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary><c>bench migration</c>: incremental vs full-copy live migration of the same disk (see <see cref="MigrationBenchmark"/>).</summary>
internal static class MigrationBenchCommand
{
    public static Command Create()
    {
        var size = new Option<int>("--disk-mib") { Description = "Disk size in MiB.", DefaultValueFactory = _ => 1024 };
        var dirty = new Option<double[]>("--dirty-percent") { Description = "Share of the disk changed since the last replication, per round.", DefaultValueFactory = _ => [1, 10], AllowMultipleArgumentsPerToken = true };
        var command = new Command("migration", "Migrate the same disk incrementally (ZFS replica + dirty bitmap) and by full copy on the two-node lab; print bytes moved, wall time, downtime and ratios.")
            { size, dirty };
        command.SetAction((parse, _) => ConsoleInterrupt.RunAsync(ct => new MigrationBenchmark((long)parse.GetValue(size) << 20, parse.GetValue(dirty)!, AnsiConsole.Console).RunAsync(ct)));
        return command;
    }
}
