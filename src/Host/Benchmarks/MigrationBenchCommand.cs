using System.CommandLine;
using System.Globalization;
using Elsa.Migration.Host.Cli;
using Spectre.Console;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary><c>bench migration</c>: incremental vs full-copy live migration of the same disk, then the switchover under
/// writes against the bare-QMP floor (see <see cref="MigrationBenchmark"/>).</summary>
internal static class MigrationBenchCommand
{
    public static Command Create(Option<string?> database)
    {
        var size = new Option<int>("--disk-mib") { Description = "Disk size in MiB (incremental vs full copy).", DefaultValueFactory = _ => 1024 };
        var dirty = new Option<double[]>("--dirty-percent") { Description = "Share of the disk changed since the last replication, per round.", DefaultValueFactory = _ => [1, 10], AllowMultipleArgumentsPerToken = true };
        var rates = new Option<double[]>("--write-rate")
        {
            Description = "Switchover rounds: the writer's steady rate inside each VM, in MB/s (1 MB = 1,000,000 bytes), e.g. 1MB,10MB.",
            DefaultValueFactory = _ => [1, 10],
            AllowMultipleArgumentsPerToken = true,
            CustomParser = result => ParseRates(result.Tokens.Select(t => t.Value), result.AddError),
        };
        var ram = new Option<int>("--ram-kb-per-second")
        {
            Description = "The RAM migration's bandwidth limit in KB/s (0 = QEMU's default): 200 makes a guest-less VM's RAM migration take ~4 s.",
            DefaultValueFactory = _ => 200,
        };
        var concurrent = new Option<int>("--concurrent") { Description = "VMs migrating at once in each switchover round (e.g. 4 or 8).", DefaultValueFactory = _ => 1 };
        var vmDisk = new Option<int>("--vm-disk-mib") { Description = "The replicated disk of each switchover VM, in MiB.", DefaultValueFactory = _ => 128 };
        var realGuest = new Option<bool>("--real-guest")
        {
            Description = "Add one round with the lab guest (real Linux, its own writer of fsync'ed 64 KiB blocks; built by ./scripts/setup.sh): the product, then bare QMP.",
        };
        var guestRate = new Option<int>("--guest-blocks-per-second") { Description = "The real guest's writer: fsync'ed 64 KiB blocks per second (16 = ~1 MB/s).", DefaultValueFactory = _ => 16 };
        var guestRam = new Option<int>("--guest-ram-kb-per-second")
        {
            Description = "The real guest's RAM migration limit in KB/s (0 = QEMU's default): 20000 makes its RAM migration take a few seconds.",
            DefaultValueFactory = _ => 20000,
        };
        var command = new Command("migration",
            "Migrate the same disk incrementally (ZFS replica + dirty bitmap) and by full copy on the two-node lab; then migrate guest-less VMs with a steady writer " +
            "and a slowed RAM migration by the product and by bare QMP commands (with --real-guest also the lab guest); print bytes, times, downtime and the differences. " +
            "--db keeps the product's journals.")
            { size, dirty, rates, ram, concurrent, vmDisk, realGuest, guestRate, guestRam };
        AtLeast(concurrent, 1);
        AtLeast(vmDisk, 16);
        AtLeast(ram, 0);
        AtLeast(guestRate, 1);
        AtLeast(guestRam, 0);
        command.SetAction((parse, _) =>
        {
            var switchover = new SwitchoverSettings(parse.GetValue(rates)!.Select(mb => (long)(mb * 1_000_000)).ToList(), parse.GetValue(ram) * 1000L, parse.GetValue(concurrent), (long)parse.GetValue(vmDisk) << 20);
            if (parse.GetValue(database) is { } given && Engine.Persistence.PostgreSql.PostgreSqlConnectionString.IsConnectionString(given))
            {
                Console.Error.WriteLine("bench migration keeps its lab's journals in a SQLite file: give --db a file path (a PostgreSQL connection string is for the other commands).");
                return Task.FromResult(2);
            }
            var db = parse.GetValue(database) is { } path ? Path.GetFullPath(path) : null;
            var guest = parse.GetValue(realGuest) ? new RealGuestSettings(parse.GetValue(guestRate), parse.GetValue(guestRam) * 1000L) : null;
            // Redirected output (a file, a test) gets the whole table on one line per row instead of 80-column wrapping.
            if (Console.IsOutputRedirected) AnsiConsole.Console.Profile.Width = 240;
            return ConsoleInterrupt.RunAsync(ct => new MigrationBenchmark((long)parse.GetValue(size) << 20, parse.GetValue(dirty)!, switchover, guest, db, AnsiConsole.Console).RunAsync(ct));
        });
        return command;
    }

    private static void AtLeast(Option<int> option, int minimum) => option.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<int>() < minimum) result.AddError($"{option.Name} must be at least {minimum}.");
    });

    /// <summary>"1MB,10MB" or "1 10" (MB/s, an optional MB or MB/s suffix) into MB/s.</summary>
    internal static double[] ParseRates(IEnumerable<string> tokens, Action<string> error)
    {
        var rates = new List<double>();
        foreach (var part in tokens.SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var number = part.EndsWith("MB/s", StringComparison.OrdinalIgnoreCase) ? part[..^4] : part.EndsWith("MB", StringComparison.OrdinalIgnoreCase) ? part[..^2] : part;
            if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var mb) && mb > 0 && mb <= 1000)
                rates.Add(mb);
            else
                error($"--write-rate '{part}' is not a rate in MB/s between 0 and 1000 (e.g. 1MB,10MB).");
        }
        return [.. rates];
    }
}
